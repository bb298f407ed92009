// Package api embeds the cell's OpenAPI description, so tests and tools
// read exactly the file that is published.
package api

import _ "embed"

// OpenAPI is cell/api/openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte
