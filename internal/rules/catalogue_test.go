package rules

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// TestCatalogueInvariants: every rule carries what the docs print and the
// engine needs, under a unique, well-formed id.
func TestCatalogueInvariants(t *testing.T) {
	id := regexp.MustCompile(`^[a-z]+(-[a-z]+)+$`)
	seen := map[string]bool{}
	for _, r := range Catalogue() {
		if !id.MatchString(r.ID) {
			t.Errorf("rule id %q: want lowercase words joined by dashes", r.ID)
		}
		if seen[r.ID] {
			t.Errorf("duplicate rule id %s", r.ID)
		}
		seen[r.ID] = true
		if r.Summary == "" || r.Why == "" || r.Fix == "" || r.Check == nil || len(r.Kinds) == 0 {
			t.Errorf("rule %s lacks summary, why, fix, check or kinds", r.ID)
		}
		if !r.DefaultAction.Valid() || r.DefaultAction == ActionOff {
			t.Errorf("rule %s: default action %q", r.ID, r.DefaultAction)
		}
		if got, ok := Lookup(r.ID); !ok || got != r {
			t.Errorf("Lookup(%s) does not find the catalogue's rule", r.ID)
		}
		for _, p := range r.Params {
			if !settingsHas(reflect.TypeOf(Settings{}), strings.Split(p, ".")) {
				t.Errorf("rule %s: parameter %q is not a field of Settings (the configuration's vocabulary)", r.ID, p)
			}
		}
	}
}

// settingsHas reports whether the JSON path exists in struct type t.
func settingsHas(t reflect.Type, path []string) bool {
	if len(path) == 0 {
		return true
	}
	if t.Kind() != reflect.Struct {
		return false
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == path[0] {
			return settingsHas(f.Type, path[1:])
		}
	}
	return false
}
