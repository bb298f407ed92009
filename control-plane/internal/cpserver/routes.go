package cpserver

import "net/http"

// routes is the whole API of the control plane.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET /readyz", s.handle(s.handleReadyz))
	mux.HandleFunc("POST /v1/signup", s.handle(s.signup))
	mux.HandleFunc("GET /v1/me/cells", s.handle(s.handleMyCells))
	mux.HandleFunc("GET /v1/placement", s.handle(s.handlePlacement))
	mux.HandleFunc("GET /v1/search", s.handle(s.handleSearch))
	mux.HandleFunc("GET /v1/directory/tenants/{key}", s.internal(s.handleLookupTenant))
	mux.HandleFunc("GET /v1/directory/users/{uid}", s.internal(s.handleLookupUser))
	mux.HandleFunc("GET /v1/directory/changes", s.internal(s.handleChanges))
	mux.HandleFunc("GET /v1/cells", s.internal(s.handleCells))
	mux.HandleFunc("/", s.handle(s.handleNoRoute))
	return mux
}
