package problem

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pushnchat/pushnchat/internal/errs"
)

// Every errs.Error written with a Code in the source uses a code of Codes,
// with its kind: one status per problem type everywhere (the router once
// answered residency_refused with 503, the cells with 422).
func TestEveryCodeHasOneStatus(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]errs.Kind{}
	for k := errs.Internal; k <= errs.Unavailable; k++ {
		kinds[kindName(k)] = k
	}
	found := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, src, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			if sel, ok := lit.Type.(*ast.SelectorExpr); !ok || sel.Sel.Name != "Error" || !isIdent(sel.X, "errs") {
				return true
			}
			var code, kind string
			for _, el := range lit.Elts {
				kv, ok := el.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				switch key := kv.Key.(*ast.Ident); {
				case key == nil:
				case key.Name == "Code":
					if bl, ok := kv.Value.(*ast.BasicLit); ok {
						code, _ = strconv.Unquote(bl.Value)
					} else {
						code = "(not a literal)"
					}
				case key.Name == "Kind":
					if sel, ok := kv.Value.(*ast.SelectorExpr); ok {
						kind = sel.Sel.Name
					}
				}
			}
			if code == "" {
				return true
			}
			found++
			rel, _ := filepath.Rel(root, path)
			want, known := Codes[code]
			switch {
			case !known:
				t.Errorf("%s: problem code %q is not in problem.Codes", rel, code)
			case kinds[kind] != want:
				t.Errorf("%s: problem code %q with kind %s; problem.Codes gives it %s (status %d)", rel, code, kind, want, Status(want))
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < len(Codes) {
		t.Errorf("found %d coded errors in the source; want at least one per code (%d)", found, len(Codes))
	}
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// kindName is the Go name of a kind's constant ("NotFound"), as source
// code spells it.
func kindName(k errs.Kind) string {
	return map[errs.Kind]string{
		errs.Internal: "Internal", errs.Invalid: "Invalid", errs.Unauthenticated: "Unauthenticated", errs.Forbidden: "Forbidden",
		errs.NotFound: "NotFound", errs.Conflict: "Conflict", errs.PreconditionFailed: "PreconditionFailed",
		errs.PreconditionNeeded: "PreconditionNeeded", errs.TooLarge: "TooLarge", errs.Unsupported: "Unsupported",
		errs.Unprocessable: "Unprocessable", errs.RateLimited: "RateLimited", errs.Unavailable: "Unavailable",
	}[k]
}
