package httpapi

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/pushnchat/pushnchat/cell/internal/authz"
	"github.com/pushnchat/pushnchat/cell/internal/listing"
	"github.com/pushnchat/pushnchat/cell/internal/media"
	"github.com/pushnchat/pushnchat/cell/internal/postgres"
	"github.com/pushnchat/pushnchat/internal/errs"
)

// handleUploadPhoto takes one image as the "photo" part of a
// multipart/form-data body, renders its variants, stores them, then records
// the photo. If recording fails, the stored variants are removed: a refused
// upload leaves nothing behind.
func (s *server) handleUploadPhoto() http.Handler {
	return s.tenantHandler(authz.ListingWrite, func(w http.ResponseWriter, r *http.Request, sc scope) error {
		listingID := r.PathValue("listing")
		if err := s.DB.CheckPhotoSlot(r.Context(), sc.tenant.ID, listingID); err != nil {
			return err
		}
		part, err := photoPart(r)
		if err != nil {
			return err
		}
		width, height, renditions, err := media.Process(part)
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return bodyError(err)
			}
			return err
		}
		photo := listing.Photo{ID: postgres.NewPhotoID(), ListingID: listingID, Width: width, Height: height, Variants: map[string]listing.Variant{}}
		var keys []string
		cleanup := func() {
			for _, k := range keys {
				_ = s.Media.Delete(context.WithoutCancel(r.Context()), k)
			}
		}
		for _, rd := range renditions {
			key := "photos/" + sc.tenant.ID + "/" + photo.ID + "/" + rd.Name + ".jpg"
			if err := s.Media.Put(r.Context(), key, rd.Data); err != nil {
				cleanup()
				return err
			}
			keys = append(keys, key)
			photo.Variants[rd.Name] = listing.Variant{Key: key, Width: rd.Width, Height: rd.Height, Bytes: len(rd.Data), ContentType: media.ContentType}
		}
		if _, err := s.DB.AddPhoto(r.Context(), sc.tenant.ID, photo); err != nil {
			cleanup()
			return err
		}
		l, err := s.DB.Listing(r.Context(), sc.tenant.ID, listingID)
		if err != nil {
			return err
		}
		writeListing(w, http.StatusCreated, withTeamURLs(l, sc.tenant.Slug))
		return nil
	})
}

// photoPart finds the "photo" part of a multipart upload.
func photoPart(r *http.Request) (io.Reader, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, errs.E(errs.Unsupported, "upload photos as multipart/form-data with a part named photo")
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil, errs.InvalidFields([]errs.FieldError{{Field: "photo", Detail: "is required (a multipart part named photo)"}})
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, bodyError(err)
			}
			return nil, errs.Wrap(errs.Invalid, err, "malformed multipart body")
		}
		if p.FormName() == "photo" {
			return p, nil
		}
	}
}

func (s *server) handleDeletePhoto() http.Handler {
	return s.tenantHandler(authz.ListingWrite, func(w http.ResponseWriter, r *http.Request, sc scope) error {
		p, err := s.DB.DeletePhoto(r.Context(), sc.tenant.ID, r.PathValue("listing"), r.PathValue("photo"))
		if err != nil {
			return err
		}
		for _, v := range p.Variants {
			if err := s.Media.Delete(r.Context(), v.Key); err != nil {
				s.Logger.WarnContext(r.Context(), "photo blob left behind", "err", err)
			}
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

// handleTeamMedia serves a variant of any of the tenant's photos to its team.
func (s *server) handleTeamMedia() http.Handler {
	return s.tenantHandler(authz.ListingRead, func(w http.ResponseWriter, r *http.Request, sc scope) error {
		ref, err := s.DB.Photo(r.Context(), r.PathValue("photo"))
		if err != nil {
			return err
		}
		if ref.TenantID != sc.tenant.ID {
			return errs.E(errs.NotFound, "no such photo")
		}
		return s.serveVariant(w, r, ref.Photo, "private, max-age=3600")
	})
}

// handleMarketMedia serves variants of published listings to anyone. Photo
// ids never change content, so caches may keep them for a year.
func (s *server) handleMarketMedia() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := func() error {
			ref, err := s.DB.Photo(r.Context(), r.PathValue("photo"))
			if err != nil {
				return err
			}
			if ref.Status != listing.Published || ref.Country != r.PathValue("country") {
				return errs.E(errs.NotFound, "no such photo")
			}
			return s.serveVariant(w, r, ref.Photo, "public, max-age=31536000, immutable")
		}()
		if err != nil {
			s.fail(w, r, err)
		}
	})
}

func (s *server) serveVariant(w http.ResponseWriter, r *http.Request, p listing.Photo, cacheControl string) error {
	name := r.PathValue("variant")
	v, ok := p.Variants[name]
	if !ok {
		return errs.E(errs.NotFound, "no such variant; use one of thumb, 3g, 4g")
	}
	etag := `"` + p.ID + "-" + name + `"`
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", cacheControl)
	if strings.Contains(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	rc, err := s.Media.Open(r.Context(), v.Key)
	if err != nil {
		return err
	}
	defer rc.Close()
	w.Header().Set("Content-Type", v.ContentType)
	_, _ = io.Copy(w, rc)
	return nil
}
