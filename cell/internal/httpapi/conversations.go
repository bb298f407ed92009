package httpapi

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/pushnchat/pushnchat/cell/internal/authz"
	"github.com/pushnchat/pushnchat/cell/internal/messaging"
	"github.com/pushnchat/pushnchat/cell/internal/postgres"
	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/ids"
)

func (s *server) handleCreateConversation() http.Handler {
	return s.tenantHandler(authz.ConversationSend, func(w http.ResponseWriter, r *http.Request, sc scope) error {
		var in struct {
			Kind    messaging.Kind `json:"kind"`
			Title   string         `json:"title"`
			Members []string       `json:"members"`
		}
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		members := in.Members
		if !slices.Contains(members, sc.ID) { // the creator is always in
			members = append([]string{sc.ID}, members...)
		}
		c := messaging.Conversation{TenantID: sc.tenant.ID, Kind: in.Kind, Title: strings.TrimSpace(in.Title), Members: members, CreatedBy: sc.ID}
		if err := c.Validate(); err != nil {
			return err
		}
		c, err := s.DB.CreateConversation(r.Context(), c)
		if err != nil {
			return err
		}
		s.Realtime.ConversationCreated(r.Context(), c)
		w.Header().Set("Location", "/v1/t/"+sc.tenant.Slug+"/conversations/"+c.ID)
		writeJSON(w, http.StatusCreated, c)
		return nil
	})
}

func (s *server) handleListConversations() http.Handler {
	return s.tenantHandler(authz.ConversationRead, func(w http.ResponseWriter, r *http.Request, sc scope) error {
		cs, err := s.DB.Conversations(r.Context(), sc.tenant.ID, sc.ID)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": cs})
		return nil
	})
}

// inConversation admits only members of the conversation; to anyone else
// it does not exist.
func (s *server) inConversation(r *http.Request, sc scope) (string, error) {
	id := r.PathValue("conversation")
	ok, err := s.DB.IsMember(r.Context(), sc.tenant.ID, id, sc.ID)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", errs.E(errs.NotFound, "no such conversation")
	}
	return id, nil
}

func seqParam(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, errs.InvalidFields([]errs.FieldError{{Field: name, Detail: "must be a sequence number"}})
	}
	return n, nil
}

// handleListMessages pages through history: after_seq forwards, before_seq
// backwards (both ascending in the answer).
func (s *server) handleListMessages() http.Handler {
	return s.tenantHandler(authz.ConversationRead, func(w http.ResponseWriter, r *http.Request, sc scope) error {
		id, err := s.inConversation(r, sc)
		if err != nil {
			return err
		}
		after, err := seqParam(r, "after_seq")
		if err != nil {
			return err
		}
		before, err := seqParam(r, "before_seq")
		if err != nil {
			return err
		}
		if after > 0 && before > 0 {
			return errs.InvalidFields([]errs.FieldError{{Field: "before_seq", Detail: "use after_seq or before_seq, not both"}})
		}
		limit, err := pageLimit(r)
		if err != nil {
			return err
		}
		ms, err := s.DB.Messages(r.Context(), id, after, before, limit)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": ms})
		return nil
	})
}

// handleSendMessage stores a message; the client's id makes a retry return
// the stored message (200) instead of a second one.
func (s *server) handleSendMessage() http.Handler {
	return s.tenantHandler(authz.ConversationSend, func(w http.ResponseWriter, r *http.Request, sc scope) error {
		id, err := s.inConversation(r, sc)
		if err != nil {
			return err
		}
		var in struct {
			ID          string   `json:"id"`
			Body        string   `json:"body"`
			Attachments []string `json:"attachments"`
		}
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		m, created, err := s.messages.Send(r.Context(), messaging.Message{ConversationID: id, ID: in.ID, SenderID: sc.ID, Body: in.Body, AttachmentIDs: in.Attachments})
		if err != nil {
			return err
		}
		status := http.StatusCreated
		if !created {
			status = http.StatusOK // a retry: the message as it was stored
		}
		writeJSON(w, status, m)
		return nil
	})
}

// syncCursor is what a device has seen: conversation id → last seq.
type syncCursor map[string]int64

func decodeSyncCursor(s string) (syncCursor, error) {
	c := syncCursor{}
	if s == "" {
		return c, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err == nil && len(c) > 10_000 {
		err = errors.New("cursor too long")
	}
	for id := range c {
		if !ids.Valid(id) {
			err = errors.New("cursor key")
		}
	}
	if err != nil {
		return nil, errs.InvalidFields([]errs.FieldError{{Field: "cursor", Detail: "is not a cursor this API returned"}})
	}
	return c, nil
}

// handleSync returns what the caller's device has not seen yet, across its
// conversations in this cell, and the cursor to send next time.
func (s *server) handleSync() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := func() error {
			c, err := s.caller(r)
			if err != nil {
				return err
			}
			cur, err := decodeSyncCursor(r.URL.Query().Get("cursor"))
			if err != nil {
				return err
			}
			limit, err := pageLimit(r)
			if err != nil {
				return err
			}
			acc, err := s.access(r, c)
			if err != nil {
				return err
			}
			var ms []messaging.Message
			if tenants := acc.Tenants(authz.ConversationRead); len(tenants) > 0 {
				if ms, err = s.DB.SyncMessages(r.Context(), c.ID, tenants, cur, limit); err != nil {
					return err
				}
			}
			if ms == nil {
				ms = []messaging.Message{}
			}
			for _, m := range ms {
				if m.Seq > cur[m.ConversationID] {
					cur[m.ConversationID] = m.Seq
				}
			}
			b, _ := json.Marshal(cur)
			writeJSON(w, http.StatusOK, map[string]any{"messages": ms, "next_cursor": base64.RawURLEncoding.EncodeToString(b), "more": len(ms) == limit})
			return nil
		}()
		if err != nil {
			s.fail(w, r, err)
		}
	})
}

// handleReportMessage files an abuse report on one message of a
// conversation the caller belongs to; reporting it again returns the
// first report.
func (s *server) handleReportMessage() http.Handler {
	return s.tenantHandler(authz.ConversationRead, func(w http.ResponseWriter, r *http.Request, sc scope) error {
		id, err := s.inConversation(r, sc)
		if err != nil {
			return err
		}
		seq, err := strconv.ParseInt(r.PathValue("seq"), 10, 64)
		if err != nil || seq < 1 {
			return errs.E(errs.NotFound, "no such message")
		}
		var in struct {
			Reason string `json:"reason"`
			Note   string `json:"note"`
		}
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		var f errs.Fields
		if !slices.Contains([]string{"spam", "harassment", "fraud", "illegal", "other"}, in.Reason) {
			f.Add("reason", "must be spam, harassment, fraud, illegal or other")
		}
		if utf8.RuneCountInString(in.Note) > 1000 {
			f.Add("note", "must be at most 1000 characters")
		}
		if err := f.Err(); err != nil {
			return err
		}
		rep, created, err := s.DB.ReportMessage(r.Context(), postgres.Report{ConversationID: id, Seq: seq, ReporterID: sc.ID, Reason: in.Reason, Note: strings.TrimSpace(in.Note)})
		if err != nil {
			return err
		}
		status := http.StatusOK
		if created {
			status = http.StatusCreated
		}
		writeJSON(w, status, rep)
		return nil
	})
}

// handleRealtime upgrades to the realtime protocol (docs/realtime.md) for
// the signed-in caller: an ID token (apps) or the session cookie (web,
// from an allowed origin).
func (s *server) handleRealtime() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := s.caller(r)
		if err == nil && c.ID == "" {
			err = errs.E(errs.NotFound, "you belong to no business in this cell")
		}
		if err == nil {
			err = s.Realtime.Serve(w, r, c.actor)
		}
		if err != nil {
			s.fail(w, r, err)
		}
	})
}

// handleUploadAttachment stores a file (the raw request body) in the
// conversation, for one of the uploader's next messages to claim. Its type
// is sniffed from the bytes, never taken from the client.
func (s *server) handleUploadAttachment() http.Handler {
	return s.tenantHandler(authz.ConversationSend, func(w http.ResponseWriter, r *http.Request, sc scope) error {
		conv, err := s.inConversation(r, sc)
		if err != nil {
			return err
		}
		data, err := io.ReadAll(r.Body)
		if err != nil {
			return bodyError(err)
		}
		if len(data) == 0 {
			return errs.E(errs.Invalid, "the request body is the file, and it is empty")
		}
		ct := http.DetectContentType(data)
		if !slices.Contains(messaging.AttachmentTypes, ct) {
			return errs.E(errs.Unsupported, "files of type %s cannot be attached; send one of %s", ct, strings.Join(messaging.AttachmentTypes, ", "))
		}
		name, err := attachmentName(r.URL.Query().Get("name"))
		if err != nil {
			return err
		}
		a := messaging.Attachment{ID: uuid.Must(uuid.NewV7()).String(), ContentType: ct, Size: int64(len(data)), Name: name}
		key := attachmentKey(conv, a.ID)
		if err := s.Media.Put(r.Context(), key, data); err != nil {
			return err
		}
		if err := s.DB.CreateAttachment(r.Context(), conv, sc.ID, a); err != nil {
			_ = s.Media.Delete(context.WithoutCancel(r.Context()), key)
			return err
		}
		writeJSON(w, http.StatusCreated, a)
		return nil
	})
}

func attachmentKey(conv, id string) string { return "attachments/" + conv + "/" + id }

// attachmentName keeps a display name: a base name of printable
// characters, at most 200.
func attachmentName(n string) (string, error) {
	n = strings.TrimSpace(n)
	bad := utf8.RuneCountInString(n) > 200 || strings.ContainsAny(n, "/\\")
	for _, r := range n {
		if unicode.IsControl(r) {
			bad = true
		}
	}
	if bad {
		return "", errs.InvalidFields([]errs.FieldError{{Field: "name", Detail: "must be a file name of at most 200 printable characters, without slashes"}})
	}
	return n, nil
}

// handleGetAttachment serves a file of a message (or one the caller
// uploaded) to conversation members.
func (s *server) handleGetAttachment() http.Handler {
	return s.tenantHandler(authz.ConversationRead, func(w http.ResponseWriter, r *http.Request, sc scope) error {
		conv, err := s.inConversation(r, sc)
		if err != nil {
			return err
		}
		a, err := s.DB.Attachment(r.Context(), conv, r.PathValue("attachment"), sc.ID)
		if err != nil {
			return err
		}
		rc, err := s.Media.Open(r.Context(), attachmentKey(conv, a.ID))
		if err != nil {
			return err
		}
		defer rc.Close()
		h := w.Header()
		h.Set("Content-Type", a.ContentType)
		h.Set("Content-Length", strconv.FormatInt(a.Size, 10))
		h.Set("Cache-Control", "private, max-age=86400, immutable")
		h.Set("Content-Security-Policy", "sandbox")
		disp := "attachment"
		if strings.HasPrefix(a.ContentType, "image/") {
			disp = "inline"
		}
		h.Set("Content-Disposition", mime.FormatMediaType(disp, map[string]string{"filename": cmp.Or(a.Name, a.ID)}))
		_, _ = io.Copy(w, rc)
		return nil
	})
}
