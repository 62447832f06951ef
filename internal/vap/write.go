package vap

import (
	"encoding/json"
	"fmt"
	"io"

	"sigs.k8s.io/yaml"
)

// Header starts the YAML that Write prints.
const Header = `# Guardrails' fallback inside the API server: ValidatingAdmissionPolicies
# and their bindings for the checks that need no cluster lookup. Generated
# by ` + "`webhook vap`" + ` from the configuration; do not edit: regenerate.
`

// Write prints the pairs as one YAML stream (policy, then binding), after
// Header.
func Write(w io.Writer, pairs []Pair) error {
	if _, err := io.WriteString(w, Header); err != nil {
		return err
	}
	for _, p := range pairs {
		for _, obj := range []any{p.Policy, p.Binding} {
			b, err := manifest(obj)
			if err != nil {
				return fmt.Errorf("vap: %w", err)
			}
			if _, err := fmt.Fprintf(w, "---\n%s", b); err != nil {
				return err
			}
		}
	}
	return nil
}

// manifest is obj as YAML without the fields the API server fills
// (status, an empty creationTimestamp).
func manifest(obj any) ([]byte, error) {
	j, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(j, &m); err != nil {
		return nil, err
	}
	delete(m, "status")
	if md, ok := m["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	return yaml.Marshal(m)
}
