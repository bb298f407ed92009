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
	"testing"

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

// Tests each get their own copy of the migrated template: every one
// writes before any reads, and each sees its own write and the seed only.
func TestPostgresDatabasesAreIsolated(t *testing.T) {
	ctx := context.Background()
	conns := make([]*pgx.Conn, 6)
	names := map[string]int{}
	for i := range conns {
		conn, err := pgx.Connect(ctx, testenv.Postgres(t, notes))
		if err != nil {
			t.Fatalf("connect: %v", err)
		}
		t.Cleanup(func() { conn.Close(ctx) })
		conns[i] = conn
		var db string
		if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil {
			t.Fatal(err)
		}
		if other, ok := names[db]; ok {
			t.Fatalf("database %s handed out twice (%d and %d)", db, other, i)
		}
		names[db] = i
		if _, err := conn.Exec(ctx, "INSERT INTO note (body) VALUES ($1)", fmt.Sprintf("written by %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	for i, conn := range conns {
		rows, err := conn.Query(ctx, "SELECT body FROM note ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		got, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"seeded", fmt.Sprintf("written by %d", i)}; strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("database %d notes = %q; want %q", i, got, want)
		}
	}
}

// Every test gets an empty Redis database of its own: the same key,
// written in each before any is read, keeps each one's value.
func TestRedisDatabasesAreIsolated(t *testing.T) {
	ctx := context.Background()
	clients := make([]*redis.Client, 6)
	for i := range clients {
		r := testenv.Redis(t)
		c := redis.NewClient(&redis.Options{Addr: r.Addr, DB: r.DB})
		t.Cleanup(func() { c.Close() })
		clients[i] = c
		if n, err := c.DBSize(ctx).Result(); err != nil || n != 0 {
			t.Fatalf("database %d: DBSIZE at start = %d, %v; want 0, nil", i, n, err)
		}
		if err := c.Set(ctx, "shared-name", fmt.Sprint(i), 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range clients {
		if got, err := c.Get(ctx, "shared-name").Result(); err != nil || got != fmt.Sprint(i) {
			t.Errorf("database %d: GET shared-name = %q, %v; want %q", i, got, err, fmt.Sprint(i))
		}
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
