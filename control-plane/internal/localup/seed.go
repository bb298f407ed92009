package localup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/google/uuid"

	"github.com/pushnchat/pushnchat/internal/authemu"
)

// demoTenantID is stable per cell, so seeding is idempotent.
func demoTenantID(c RunningCell) string {
	h := sha256.Sum256([]byte("pushnchat-demo/" + c.Name))
	return uuid.NewSHA1(uuid.NameSpaceURL, h[:]).String()
}

// demoListings of every demo business: title, category, price in major
// units of the market's currency.
var demoListings = []struct {
	title, category string
	price           int64
}{
	{"Hand-dyed indigo adire, 6 yards", "fabrics", 15000},
	{"Shea butter, unrefined, 1 kg", "beauty", 4500},
	{"Woven market basket, large", "crafts", 6000},
}

var currencies = map[string]string{"NG": "NGN", "ZA": "ZAR", "KE": "KES", "US": "USD", "DE": "EUR"}

// seedCell creates the cell's demo business and its published listings
// through the cell's own API, unless they exist.
func seedCell(ctx context.Context, c RunningCell, owner authemu.Session, serviceToken string) error {
	token := owner.IDToken
	call := func(method, path string, body any) (int, []byte, error) {
		var rd io.Reader
		if body != nil {
			b, err := json.Marshal(body)
			if err != nil {
				return 0, nil, err
			}
			rd = bytes.NewReader(b)
		}
		req, err := http.NewRequestWithContext(ctx, method, "http://"+c.HTTPAddr+path, rd)
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("X-PushNchat-Service-Token", serviceToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, b, err
	}
	st, _, err := call("GET", "/v1/t/"+c.Demo, nil)
	if err != nil || st == http.StatusOK {
		return err
	}
	st, b, err := call("PUT", "/internal/v1/tenants/"+demoTenantID(c), map[string]any{
		"slug": c.Demo, "name": "Demo business of " + c.Name, "country": c.Country, "categories": []string{"fabrics", "crafts"},
		"contact": map[string]string{"name": "Demo Owner", "email": DemoUser(c.Cell)},
		"owner":   map[string]string{"firebase_uid": owner.UID, "email": owner.Email},
	})
	if err != nil || st != http.StatusCreated {
		return fmt.Errorf("create demo business: %d %s %v", st, b, err)
	}
	for _, l := range demoListings {
		st, b, err := call("POST", "/v1/t/"+c.Demo+"/listings", map[string]any{
			"title": l.title, "category": l.category, "description": "Demo listing of " + c.Name + ".",
			"price": map[string]any{"amount_minor": l.price * 100, "currency": currencies[c.Country]},
		})
		if err != nil || st != http.StatusCreated {
			return fmt.Errorf("create demo listing: %d %s %v", st, b, err)
		}
		var created struct{ ID string }
		if err := json.Unmarshal(b, &created); err != nil {
			return err
		}
		if st, b, err := call("POST", "/v1/t/"+c.Demo+"/listings/"+created.ID+"/publish", nil); err != nil || st != http.StatusOK {
			return fmt.Errorf("publish demo listing: %d %s %v", st, b, err)
		}
	}
	return nil
}
