package testenv_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/pushnchat/pushnchat/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

var notes = testenv.Template{
	Name: "notes",
	Migrate: func(ctx context.Context, url string) error {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, `CREATE TABLE note (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body text NOT NULL);
			INSERT INTO note (body) VALUES ('seeded')`)
		return err
	},
}

// Parallel tests each get their own copy of the migrated template: what one
// writes, no other sees.
func TestPostgresDatabasesAreIsolated(t *testing.T) {
	var mu sync.Mutex
	names := map[string]string{}
	for i := range 6 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			url := testenv.Postgres(t, notes)
			conn, err := pgx.Connect(ctx, url)
			if err != nil {
				t.Fatalf("connect: %v", err)
			}
			defer conn.Close(ctx)

			var db string
			if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			if other, ok := names[db]; ok {
				t.Errorf("database %s handed to both %s and %s", db, other, t.Name())
			}
			names[db] = t.Name()
			mu.Unlock()

			body := fmt.Sprintf("written by %d", i)
			if _, err := conn.Exec(ctx, "INSERT INTO note (body) VALUES ($1)", body); err != nil {
				t.Fatal(err)
			}
			rows, err := conn.Query(ctx, "SELECT body FROM note ORDER BY id")
			if err != nil {
				t.Fatal(err)
			}
			got, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"seeded", body}
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("notes = %q; want %q", got, want)
			}
		})
	}
}

func TestRedisDatabasesAreIsolated(t *testing.T) {
	for i := range 6 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			r := testenv.Redis(t)
			c := redis.NewClient(&redis.Options{Addr: r.Addr, DB: r.DB})
			defer c.Close()
			if n, err := c.DBSize(ctx).Result(); err != nil || n != 0 {
				t.Fatalf("DBSIZE at start = %d, %v; want 0, nil", n, err)
			}
			want := fmt.Sprint(i)
			if err := c.Set(ctx, "shared-name", want, 0).Err(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(20 * time.Millisecond) // let the other subtests write the same key
			if got, err := c.Get(ctx, "shared-name").Result(); err != nil || got != want {
				t.Errorf("GET shared-name = %q, %v; want %q", got, err, want)
			}
		})
	}
}

func TestConsulHasLeaderAndStoresKeys(t *testing.T) {
	c := testenv.Consul(t)
	key := "testenv/" + testenv.Unique(t)
	req, err := http.NewRequest(http.MethodPut, "http://"+c.HTTPAddr()+"/v1/kv/"+key, strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT kv: %s", resp.Status)
	}
	resp, err = http.Get("http://" + c.HTTPAddr() + "/v1/kv/" + key + "?raw")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if string(b) != "hello" {
		t.Errorf("GET kv = %q; want %q", b, "hello")
	}
}

func TestAuthEmulatorSignUpClaimsAndSignIn(t *testing.T) {
	ctx := context.Background()
	a := testenv.Auth(t)
	email, password := testenv.Email(t), "correct horse battery"
	s, err := a.Client.SignUp(ctx, email, password)
	if err != nil {
		t.Fatal(err)
	}
	if s.UID == "" || s.IDToken == "" {
		t.Fatalf("SignUp = %+v; want a uid and an ID token", s)
	}
	if err := a.Client.SetCustomClaims(ctx, s.UID, map[string]any{"platform_roles": []string{"sre"}}); err != nil {
		t.Fatal(err)
	}
	s2, err := a.Client.SignIn(ctx, email, password)
	if err != nil {
		t.Fatal(err)
	}
	claims := tokenClaims(t, s2.IDToken)
	if claims["user_id"] != s.UID || claims["email"] != email {
		t.Errorf("token user_id, email = %v, %v; want %v, %v", claims["user_id"], claims["email"], s.UID, email)
	}
	if roles, _ := claims["platform_roles"].([]any); len(roles) != 1 || roles[0] != "sre" {
		t.Errorf("token platform_roles = %v; want [sre]", claims["platform_roles"])
	}
	if _, err := a.Client.SignIn(ctx, email, "wrong password"); err == nil {
		t.Errorf("SignIn with a wrong password succeeded")
	}
}

// tokenClaims reads a JWT's payload without verifying it (the cell verifies
// tokens; here we only look at what the emulator issued).
func tokenClaims(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts; want 3", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("token payload: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(b, &claims); err != nil {
		t.Fatalf("token payload: %v", err)
	}
	return claims
}
