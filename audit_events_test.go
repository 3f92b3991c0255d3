package torii

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestAuditEvents_EveryEventNameIsListed parses the domain package and
// checks that every Audit* constant is in AuditEvents, so an event torii
// writes can always be picked in the admin page's filter.
func TestAuditEvents_EveryEventNameIsListed(t *testing.T) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, f := range pkgs["torii"].Files {
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, "Audit") || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				v, _ := strconv.Unquote(lit.Value)
				seen++
				if !slices.Contains(AuditEvents, v) {
					t.Errorf("%s = %q is not in AuditEvents", name.Name, v)
				}
			}
			return true
		})
	}
	if seen != len(AuditEvents) {
		t.Errorf("found %d Audit* constants, AuditEvents lists %d", seen, len(AuditEvents))
	}
}
