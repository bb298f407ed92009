package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/pushnchat/pushnchat/cell/internal/authz"
	"github.com/pushnchat/pushnchat/cell/internal/listing"
	"github.com/pushnchat/pushnchat/cell/internal/postgres"
	"github.com/pushnchat/pushnchat/cell/internal/tenant"
	"github.com/pushnchat/pushnchat/internal/errs"
)

// withTeamURLs points a listing's photos at the team media route.
func withTeamURLs(l listing.Listing, tenantSlug string) listing.Listing {
	return withURLs(l, "/v1/t/"+tenantSlug+"/media/")
}

// withMarketURLs points a published listing's photos at the public route.
func withMarketURLs(l listing.Listing) listing.Listing {
	return withURLs(l, "/v1/markets/"+l.Country+"/media/")
}

func withURLs(l listing.Listing, base string) listing.Listing {
	photos := make([]listing.Photo, len(l.Photos))
	for i, p := range l.Photos {
		vs := map[string]listing.Variant{}
		for name, v := range p.Variants {
			v.URL = base + p.ID + "/" + name
			vs[name] = v
		}
		p.Variants = vs
		photos[i] = p
	}
	l.Photos = photos
	return l
}

func writeListing(w http.ResponseWriter, status int, l listing.Listing) {
	w.Header().Set("ETag", listing.ETag(l.Version))
	writeJSON(w, status, l)
}

func pageLimit(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 20, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 100 {
		return 0, errs.InvalidFields([]errs.FieldError{{Field: "limit", Detail: "must be a whole number from 1 to 100"}})
	}
	return n, nil
}

type createListingRequest struct {
	Title       string            `json:"title"`
	Description string            `json:"description"`
	Price       listing.Price     `json:"price"`
	Category    string            `json:"category"`
	Attributes  json.RawMessage   `json:"attributes"`
	Location    *listing.Location `json:"location"`
}

func (s *server) handleCreateListing() http.Handler {
	return s.tenantHandler(authz.ListingWrite, func(w http.ResponseWriter, r *http.Request, sc scope) error {
		var in createListingRequest
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		l := listing.Listing{TenantID: sc.tenant.ID, Country: sc.tenant.Country, Title: in.Title, Description: in.Description,
			Price: in.Price, Category: in.Category, Attributes: in.Attributes, Location: in.Location}
		if err := l.Validate(); err != nil {
			return err
		}
		l, err := s.DB.CreateListing(r.Context(), l, sc.ID)
		if err != nil {
			return err
		}
		w.Header().Set("Location", "/v1/t/"+sc.tenant.Slug+"/listings/"+l.ID)
		writeListing(w, http.StatusCreated, withTeamURLs(l, sc.tenant.Slug))
		return nil
	})
}

func (s *server) handleListListings() http.Handler {
	return s.tenantHandler(authz.ListingRead, func(w http.ResponseWriter, r *http.Request, sc scope) error {
		limit, err := pageLimit(r)
		if err != nil {
			return err
		}
		status := listing.Status(r.URL.Query().Get("status"))
		switch status {
		case "", listing.Draft, listing.Published, listing.Archived:
		default:
			return errs.InvalidFields([]errs.FieldError{{Field: "status", Detail: "must be draft, published or archived"}})
		}
		page, err := s.DB.TenantListings(r.Context(), sc.tenant.ID, status, r.URL.Query().Get("cursor"), limit)
		if err != nil {
			return err
		}
		for i := range page.Items {
			page.Items[i] = withTeamURLs(page.Items[i], sc.tenant.Slug)
		}
		writeJSON(w, http.StatusOK, page)
		return nil
	})
}

func (s *server) handleGetListing() http.Handler {
	return s.tenantHandler(authz.ListingRead, func(w http.ResponseWriter, r *http.Request, sc scope) error {
		l, err := s.DB.Listing(r.Context(), sc.tenant.ID, r.PathValue("listing"))
		if err != nil {
			return err
		}
		writeListing(w, http.StatusOK, withTeamURLs(l, sc.tenant.Slug))
		return nil
	})
}

// ifMatch reads If-Match; required says whether its absence is an error.
func ifMatch(r *http.Request, required bool) (*int64, error) {
	h := r.Header.Get("If-Match")
	if h == "" {
		if required {
			return nil, errs.E(errs.PreconditionNeeded, "send If-Match with the ETag you read, so concurrent edits are not lost")
		}
		return nil, nil
	}
	v, ok := listing.ParseETag(h)
	if !ok {
		return nil, errs.E(errs.PreconditionFailed, "If-Match does not match the listing's ETag")
	}
	return &v, nil
}

func (s *server) handleUpdateListing() http.Handler {
	return s.tenantHandler(authz.ListingWrite, func(w http.ResponseWriter, r *http.Request, sc scope) error {
		expect, err := ifMatch(r, true)
		if err != nil {
			return err
		}
		var in listing.Update
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		l, err := s.DB.UpdateListing(r.Context(), sc.tenant.ID, r.PathValue("listing"), expect, func(l *listing.Listing) error {
			if l.Status == listing.Archived {
				return errs.E(errs.Conflict, "an archived listing cannot change")
			}
			return in.Apply(l)
		})
		if err != nil {
			return err
		}
		writeListing(w, http.StatusOK, withTeamURLs(l, sc.tenant.Slug))
		return nil
	})
}

// handleTransition publishes, unpublishes or archives a listing. If-Match
// is optional here: the action is checked against the current status,
// read under the row lock.
func (s *server) handleTransition(action string) http.Handler {
	return s.tenantHandler(authz.ListingWrite, func(w http.ResponseWriter, r *http.Request, sc scope) error {
		expect, err := ifMatch(r, false)
		if err != nil {
			return err
		}
		l, err := s.DB.UpdateListing(r.Context(), sc.tenant.ID, r.PathValue("listing"), expect, func(l *listing.Listing) error {
			next, err := listing.Transition(l.Status, action)
			if err != nil {
				return err
			}
			if next == listing.Published {
				if err := l.Validate(); err != nil {
					return err
				}
			}
			l.Status = next
			return nil
		})
		if err != nil {
			return err
		}
		writeListing(w, http.StatusOK, withTeamURLs(l, sc.tenant.Slug))
		return nil
	})
}

func (s *server) handleMarket() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, err := s.market(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=30")
		writeJSON(w, http.StatusOK, page)
	})
}

func (s *server) market(r *http.Request) (postgres.Page, error) {
	country := r.PathValue("country")
	if !s.servesMarket(country) {
		return postgres.Page{}, errs.E(errs.NotFound, "this cell does not serve the %s market", country)
	}
	q := r.URL.Query()
	var f errs.Fields
	mq := postgres.MarketQuery{Country: country, Category: q.Get("category"), Currency: q.Get("currency"), After: q.Get("cursor")}
	var err error
	if mq.Query, err = listing.ParseQuery(q.Get("q")); err != nil {
		return postgres.Page{}, err
	}
	if mq.Limit, err = pageLimit(r); err != nil {
		return postgres.Page{}, err
	}
	price := func(name string) *int64 {
		v := q.Get(name)
		if v == "" {
			return nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > listing.MaxPriceMinor {
			f.Add(name, "must be a whole number of minor units from 0 to %d", int64(listing.MaxPriceMinor))
			return nil
		}
		return &n
	}
	mq.MinPrice, mq.MaxPrice = price("min_price"), price("max_price")
	if (mq.MinPrice != nil || mq.MaxPrice != nil) && mq.Currency == "" {
		f.Add("currency", "is required with min_price or max_price")
	}
	if mq.Currency != "" && (len(mq.Currency) != 3) {
		f.Add("currency", "must be an ISO 4217 code")
	}
	if mq.Category != "" && !tenant.IsCategory(mq.Category) {
		f.Add("category", "is not a known category")
	}
	if err := f.Err(); err != nil {
		return postgres.Page{}, err
	}
	page, err := s.DB.Market(r.Context(), mq)
	if err != nil {
		return postgres.Page{}, err
	}
	for i := range page.Items {
		page.Items[i] = withMarketURLs(page.Items[i])
	}
	if page.Items == nil {
		page.Items = []listing.Listing{}
	}
	return page, nil
}

func (s *server) handleMarketListing() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		country := r.PathValue("country")
		if !s.servesMarket(country) {
			s.fail(w, r, errs.E(errs.NotFound, "no such listing"))
			return
		}
		l, err := s.DB.PublishedListing(r.Context(), country, r.PathValue("listing"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=30")
		writeListing(w, http.StatusOK, withMarketURLs(l))
	})
}
