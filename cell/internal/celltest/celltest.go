// Package celltest starts a real cell for tests — its own migrated
// PostgreSQL database, a Redis database, a photo directory and the shared
// Firebase Auth emulator — and gives tests an HTTP client that signs in
// like an app does.
package celltest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/pushnchat/pushnchat/cell/config"
	"github.com/pushnchat/pushnchat/cell/internal/app"
	"github.com/pushnchat/pushnchat/cell/internal/postgres"
	"github.com/pushnchat/pushnchat/internal/problem"
	"github.com/pushnchat/pushnchat/internal/servicetoken"
	"github.com/pushnchat/pushnchat/internal/testenv"
)

// Schema is the cell's migrated database template.
var Schema = testenv.Template{Name: "cell", Migrate: postgres.Migrate}

// Options adjust the cell under test.
type Options struct {
	Cell     string   // "lagos-1" when empty
	Markets  []string // ["NG"] when nil
	RateIP   config.RateConfig
	RateUser config.RateConfig
	// Logs receives the cell's JSON logs; discarded when nil.
	Logs io.Writer
	// Replica starts another replica of that cell: the same PostgreSQL
	// database, Redis database, photo bucket and Auth emulator.
	Replica  *Cell
	Realtime config.RealtimeConfig
	PushLog  string
	// EdgeToken is the token with which "the router" vouches for client
	// addresses (package clientaddr); none when empty.
	EdgeToken string
	// BrokerKeys is the file of the broker's public keys the inbox trusts
	// (package signedcall); the inbox refuses every call when empty.
	BrokerKeys string
}

// ServiceToken is what celltest cells accept from "the control plane".
const ServiceToken = "celltest-service-token"

// Cell is a running cell.
type Cell struct {
	URL      string
	DBURL    string
	RedisURL string
	BlobDir  string
	Auth     testenv.AuthEnv
	App      *app.App
}

// Start runs a cell for t and stops it when t ends.
func Start(t testing.TB, opts Options) *Cell {
	t.Helper()
	if opts.Cell == "" {
		opts.Cell = "lagos-1"
	}
	if opts.Markets == nil {
		opts.Markets = []string{"NG"}
	}
	if opts.RateIP.PerSecond == 0 {
		opts.RateIP = config.RateConfig{PerSecond: 100000, Burst: 100000}
	}
	if opts.RateUser.PerSecond == 0 {
		opts.RateUser = config.RateConfig{PerSecond: 100000, Burst: 100000}
	}
	var c *Cell
	if opts.Replica != nil {
		c = &Cell{DBURL: opts.Replica.DBURL, RedisURL: opts.Replica.RedisURL, BlobDir: opts.Replica.BlobDir, Auth: opts.Replica.Auth}
	} else {
		c = &Cell{DBURL: testenv.Postgres(t, Schema), RedisURL: testenv.Redis(t).URL, BlobDir: t.TempDir(), Auth: testenv.Auth(t)}
	}
	logs := opts.Logs
	if logs == nil {
		logs = io.Discard
	}
	cfg := config.Config{
		Cell: opts.Cell, Markets: opts.Markets, DatabaseURL: c.DBURL, RedisURL: c.RedisURL,
		BlobURL: "file://" + c.BlobDir + "?create_dir=true&no_tmp_dir=true", Listen: "127.0.0.1:0",
		Firebase: config.FirebaseConfig{ProjectID: c.Auth.Project, EmulatorHost: c.Auth.Host},
		LogLevel: slog.LevelDebug, AllowedOrigins: []string{"https://app.pushnchat.test"}, ServiceToken: ServiceToken,
		EdgeToken: opts.EdgeToken, RateIP: opts.RateIP, RateUser: opts.RateUser, ShutdownGrace: 10 * time.Second, Realtime: opts.Realtime, PushLog: opts.PushLog,
		BrokerKeys: opts.BrokerKeys,
	}
	a, err := app.Start(context.Background(), cfg, logs)
	if err != nil {
		t.Fatalf("celltest: start cell: %v", err)
	}
	t.Cleanup(func() {
		if err := a.Shutdown(context.Background()); err != nil {
			t.Errorf("celltest: shutdown: %v", err)
		}
	})
	c.App, c.URL = a, "http://"+a.Addr()
	return c
}

// Client calls the cell as one user (or anonymously).
type Client struct {
	cell  *Cell
	Token string
	Email string
	UID   string
	// Header is sent with every request.
	Header http.Header
}

// On returns a copy of cl that calls replica (another Cell started with
// Options.Replica) instead.
func (cl *Client) On(replica *Cell) *Client {
	c := *cl
	c.cell = replica
	return &c
}

// Anonymous returns a client without credentials.
func (c *Cell) Anonymous() *Client { return &Client{cell: c, Header: http.Header{}} }

// SignUp creates a user in the Auth emulator and returns a client holding
// its ID token.
func (c *Cell) SignUp(t testing.TB) *Client {
	t.Helper()
	email := testenv.Email(t)
	s, err := c.Auth.Client.SignUp(context.Background(), email, "a long password 123")
	if err != nil {
		t.Fatalf("celltest: %v", err)
	}
	return &Client{cell: c, Token: s.IDToken, Email: email, UID: s.UID, Header: http.Header{}}
}

// CreateTenant creates a business owned by owner the way the control
// plane's sign-up does (PUT /internal/v1/tenants/{id} with the service
// token). fields are the tenant's; a new id is used unless fields has "id".
func (c *Cell) CreateTenant(t testing.TB, owner *Client, fields map[string]any) Response {
	t.Helper()
	body := map[string]any{"owner": map[string]string{"firebase_uid": owner.UID, "email": owner.Email}}
	id := uuid.Must(uuid.NewV7()).String()
	for k, v := range fields {
		if k == "id" {
			id = v.(string)
			continue
		}
		body[k] = v
	}
	cp := &Client{cell: c, Header: http.Header{ServiceTokenHeader: {ServiceToken}}}
	return cp.Do(t, http.MethodPut, "/internal/v1/tenants/"+id, body)
}

// ServiceTokenHeader carries the control plane's token.
const ServiceTokenHeader = servicetoken.Header

// Response is what the cell answered.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Join makes member a member of the business slug with role: owner (or
// anyone allowed to) invites member's address and member accepts. It
// returns member's user id in the cell.
func Join(t testing.TB, owner, member *Client, slug, role string) string {
	t.Helper()
	var inv struct{ ID, Token string }
	owner.Do(t, http.MethodPost, "/v1/t/"+slug+"/invitations", map[string]string{"email": member.Email, "role": role}).Want(t, http.StatusCreated).JSON(t, &inv)
	var m struct {
		UserID string `json:"user_id"`
	}
	member.Do(t, http.MethodPost, "/v1/t/"+slug+"/invitations/"+inv.ID+"/accept", map[string]string{"token": inv.Token}).Want(t, http.StatusOK).JSON(t, &m)
	return m.UserID
}

// Do sends a request. body may be nil, []byte (sent as is), or a value
// sent as JSON. hdr is pairs of header name and value.
func (cl *Client) Do(t testing.TB, method, path string, body any, hdr ...string) Response {
	t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, ct = bytes.NewReader(b), "application/json"
	case string:
		rd, ct = strings.NewReader(b), "application/json"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, cl.cell.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for k, vs := range cl.Header {
		req.Header[k] = vs
	}
	if cl.Token != "" {
		req.Header.Set("Authorization", "Bearer "+cl.Token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// Upload sends a photo as multipart/form-data part "photo".
func (cl *Client) Upload(t testing.TB, path string, data []byte, hdr ...string) Response {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	part, err := mw.CreateFormFile("photo", "photo.jpg")
	if err != nil {
		t.Fatal(err)
	}
	part.Write(data)
	mw.Close()
	return cl.Do(t, http.MethodPost, path, buf.Bytes(), append([]string{"Content-Type", mw.FormDataContentType()}, hdr...)...)
}

// JSON decodes the body into v, failing the test on error.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Want fails the test unless the status is want.
func (r Response) Want(t testing.TB, want int) Response {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status = %d; want %d; body: %.300q", r.Status, want, r.Body)
	}
	return r
}

// Problem decodes an RFC 9457 body, checking its content type.
func (r Response) Problem(t testing.TB) problem.Problem {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != problem.ContentType {
		t.Fatalf("Content-Type = %q; want %q (status %d, body %s)", ct, problem.ContentType, r.Status, r.Body)
	}
	var p problem.Problem
	r.JSON(t, &p)
	if p.Status != r.Status || p.Type == "" || p.Title == "" {
		t.Fatalf("problem %+v does not match status %d", p, r.Status)
	}
	return p
}

// State is a snapshot of everything a cell stores: rows per table and
// stored blobs.
type State map[string]int64

// Conn connects to the cell's database, for checks of what it stores;
// the connection closes when t ends.
func (c *Cell) Conn(t testing.TB) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// State counts the cell's rows per table and its blob files.
func (c *Cell) State(t testing.TB) State {
	t.Helper()
	ctx := context.Background()
	conn := c.Conn(t)
	st := State{}
	for _, table := range []string{"app_user", "tenant", "membership", "invitation", "listing", "photo", "conversation", "conversation_member", "message", "message_report"} {
		var n int64
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		st[table] = n
	}
	// Listing content changes bump versions; sum them to catch writes.
	var v int64
	if err := conn.QueryRow(ctx, "SELECT coalesce(sum(version), 0) FROM listing").Scan(&v); err != nil {
		t.Fatal(err)
	}
	st["listing.version_sum"] = v
	if err := conn.QueryRow(ctx, "SELECT coalesce(sum(version), 0) FROM tenant").Scan(&v); err != nil {
		t.Fatal(err)
	}
	st["tenant.version_sum"] = v
	var blobs int64
	err := filepath.WalkDir(c.BlobDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(p, ".attrs") {
			blobs++
		}
		return err
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	st["blobs"] = blobs
	return st
}

// Diff describes how b differs from a ("" when equal).
func (a State) Diff(b State) string {
	var out []string
	for k, v := range a {
		if b[k] != v {
			out = append(out, fmt.Sprintf("%s: %d → %d", k, v, b[k]))
		}
	}
	return strings.Join(out, ", ")
}
