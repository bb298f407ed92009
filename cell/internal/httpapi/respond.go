package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/pushnchat/pushnchat/internal/jsonbody"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	if w.Header().Get("Cache-Control") == "" {
		w.Header().Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func decodeJSON(r *http.Request, v any) error { return jsonbody.Decode(r, v) }

func bodyError(err error) error { return jsonbody.BodyError(err) }
