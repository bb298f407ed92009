package httpapi

import (
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/pushnchat/pushnchat/cell/api"
)

// The published OpenAPI description and the routes the server registers
// list the same operations, and every operation documents its problems.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var spec struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(api.OpenAPI, &spec); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	if spec.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q; want 3.1.0", spec.OpenAPI)
	}
	var inSpec []string
	for path, ops := range spec.Paths {
		for method, op := range ops {
			if method == "parameters" {
				continue
			}
			inSpec = append(inSpec, strings.ToUpper(method)+" "+path)
			fields, _ := op.(map[string]any)
			responses, _ := fields["responses"].(map[string]any)
			if _, ok := responses["default"]; !ok {
				t.Errorf("%s %s: no default (problem) response", method, path)
			}
		}
	}
	var inCode []string
	for _, rt := range (&server{}).routes() {
		inCode = append(inCode, rt.Method+" "+rt.Pattern)
	}
	slices.Sort(inSpec)
	slices.Sort(inCode)
	for _, op := range inCode {
		if !slices.Contains(inSpec, op) {
			t.Errorf("route %s is not in cell/api/openapi.yaml", op)
		}
	}
	for _, op := range inSpec {
		if !slices.Contains(inCode, op) {
			t.Errorf("openapi.yaml describes %s, which the server does not serve", op)
		}
	}
}
