package localup

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/google/uuid"

	"github.com/pushnchat/pushnchat/internal/authemu"
)

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

// seedCell signs the cell's demo business up through the router, as any
// business would, and publishes its listings, unless it exists.
func seedCell(ctx context.Context, router string, c RunningCell, owner, staff authemu.Session) error {
	callAs := func(who authemu.Session, method, path string, body any, hdr ...string) (int, []byte, error) {
		var rd io.Reader
		if body != nil {
			b, err := json.Marshal(body)
			if err != nil {
				return 0, nil, err
			}
			rd = bytes.NewReader(b)
		}
		req, err := http.NewRequestWithContext(ctx, method, "http://"+router+path, rd)
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Authorization", "Bearer "+who.IDToken)
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, b, err
	}
	call := func(method, path string, body any, hdr ...string) (int, []byte, error) {
		return callAs(owner, method, path, body, hdr...)
	}
	st, _, err := call("GET", "/v1/t/"+c.Demo, nil)
	if err != nil || st == http.StatusOK {
		return err
	}
	st, b, err := call("POST", "/v1/signup", map[string]any{
		"slug": c.Demo, "name": "Demo business of " + c.Name, "country": c.Country, "categories": []string{"fabrics", "crafts"},
		"contact": map[string]string{"name": "Demo Owner", "email": DemoUser(c.Cell)},
	}, "Idempotency-Key", "demo-"+c.Demo)
	if err != nil || st != http.StatusCreated {
		return fmt.Errorf("sign up the demo business: %d %s %v (data from an older version? `make clean` resets the local platform)", st, b, err)
	}
	for i, l := range demoListings {
		st, b, err := call("POST", "/v1/t/"+c.Demo+"/listings", map[string]any{
			"title": l.title, "category": l.category, "description": "Demo listing of " + c.Name + ".",
			"price": map[string]any{"amount_minor": l.price * 100, "currency": currencies[c.Country]},
		}, "Idempotency-Key", fmt.Sprintf("demo-%s-%d", c.Demo, i))
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
	return seedChat(c, call, func(method, path string, body any, hdr ...string) (int, []byte, error) {
		return callAs(staff, method, path, body, hdr...)
	})
}

type caller func(method, path string, body any, hdr ...string) (int, []byte, error)

// seedChat invites the demo staff member into the business and starts a
// conversation between owner and staff with a few messages, for the
// realtime endpoint to show.
func seedChat(c RunningCell, owner, staff caller) error {
	base := "/v1/t/" + c.Demo
	st, b, err := owner("POST", base+"/invitations", map[string]string{"email": DemoStaff(c.Cell), "role": "member"})
	if err != nil || st != http.StatusCreated {
		return fmt.Errorf("invite the demo staff member: %d %s %v", st, b, err)
	}
	var inv struct{ ID, Token string }
	if err := json.Unmarshal(b, &inv); err != nil {
		return err
	}
	st, b, err = staff("POST", base+"/invitations/"+inv.ID+"/accept", map[string]string{"token": inv.Token})
	if err != nil || st != http.StatusOK {
		return fmt.Errorf("accept the demo invitation: %d %s %v", st, b, err)
	}
	var m struct {
		UserID string `json:"user_id"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	st, b, err = owner("POST", base+"/conversations", map[string]any{"kind": "direct", "members": []string{m.UserID}})
	if err != nil || st != http.StatusCreated {
		return fmt.Errorf("start the demo conversation: %d %s %v", st, b, err)
	}
	var conv struct{ ID string }
	if err := json.Unmarshal(b, &conv); err != nil {
		return err
	}
	for i, msg := range []struct {
		from caller
		body string
	}{
		{owner, "Good morning! The new indigo adire has arrived."},
		{staff, "Great, I will photograph it and publish the listing today."},
	} {
		id := uuid.Must(uuid.NewV7()).String()
		st, b, err := msg.from("POST", base+"/conversations/"+conv.ID+"/messages", map[string]string{"id": id, "body": msg.body})
		if err != nil || st != http.StatusCreated {
			return fmt.Errorf("demo message %d: %d %s %v", i+1, st, b, err)
		}
	}
	return nil
}
