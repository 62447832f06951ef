// Package safeyaml converts YAML to JSON as sigs.k8s.io/yaml does (the
// YAML 1.1 reading of kubectl), after checking that the document's aliases
// do not expand it beyond a bound.
//
// An alias (*name) stands for a copy of its anchored node (&name): a few
// kilobytes of anchors and aliases can stand for gigabytes of decoded data
// ("billion laughs"). go-yaml v2 refuses documents whose decoding is mostly
// alias expansion, counted in nodes, but a long anchored string repeated a
// hundred times passes that check and comes out of sigs.k8s.io/yaml as
// hundreds of megabytes of JSON. So before decoding, the document is parsed
// once more without expanding its aliases (go-yaml v3's Node tree, with
// anchored nodes shared), its decoded size is computed from that tree, and
// a document that would decode to more than Limits allow is refused.
//
// Documents without both "&" and "*" hold no alias and skip the check.
package safeyaml

import (
	"bytes"
	"errors"
	"fmt"

	yamlv2 "go.yaml.in/yaml/v2"
	yamlv3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/yaml"
)

// Limits bound the decoded size of one document. Sizes are counted as the
// bytes of every scalar (keys included) plus NodeCost per node, so that a
// document of many tiny nodes counts for what it costs to decode.
type Limits struct {
	// Ratio is how many times its own size (aliases not expanded) a
	// document may expand to.
	Ratio int64
	// Floor is the size any document may expand to, whatever Ratio says:
	// small documents may use anchors freely.
	Floor int64
}

// NodeCost is the size a node counts for on top of its scalar bytes.
const NodeCost = 8

// DefaultLimits let a document expand to 4 times its own size, or to
// 4 MiB, whichever is more. The API server refuses requests above 3 MiB,
// and Kubernetes manifests use anchors for a repeated env list or
// resources block: far below both.
var DefaultLimits = Limits{Ratio: 4, Floor: 4 << 20}

// ExpansionError reports a document whose aliases expand it beyond the
// limit. Sizes are in the units of Limits.
type ExpansionError struct {
	// Written is the document's size with every alias counted once.
	Written int64
	// Expanded is its size with every alias replaced by its anchor's node
	// (saturated at MaxSize).
	Expanded int64
	// Limit is the size that was allowed.
	Limit  int64
	Limits Limits
}

// MaxSize is where sizes stop counting.
const MaxSize = int64(1) << 60

func (e *ExpansionError) Error() string {
	expanded := "about " + human(e.Expanded)
	if e.Expanded >= MaxSize {
		expanded = "more than " + human(MaxSize)
	}
	return fmt.Sprintf("aliases expand this document from %s to %s, beyond the limit of %s (%d times its size, at least %s): "+
		"refusing to decode it; write the repeated parts out or use fewer aliases",
		human(e.Written), expanded, human(e.Limit), e.Limits.Ratio, human(e.Limits.Floor))
}

// ErrSelfReference is returned for an anchor whose node holds an alias of
// itself (go-yaml v2 refuses those too).
var ErrSelfReference = errors.New("an anchor's value contains an alias to itself")

// ToJSON is sigs.k8s.io/yaml's YAMLToJSON with the alias check under
// DefaultLimits.
func ToJSON(y []byte) ([]byte, error) {
	if err := CheckAliases(y, DefaultLimits); err != nil {
		return nil, err
	}
	return yaml.YAMLToJSON(y)
}

// ToJSONStrict is sigs.k8s.io/yaml's YAMLToJSONStrict (duplicate keys are
// errors) with the alias check under DefaultLimits.
func ToJSONStrict(y []byte) ([]byte, error) {
	if err := CheckAliases(y, DefaultLimits); err != nil {
		return nil, err
	}
	return yaml.YAMLToJSONStrict(y)
}

// CheckAliases returns an *ExpansionError when the first document of y
// expands beyond l, ErrSelfReference for a self-referencing anchor, and
// nil otherwise, including for YAML that does not parse: the decoder
// reports that. It costs one parse of y, and nothing for a document
// without anchors or aliases.
func CheckAliases(y []byte, l Limits) error {
	if bytes.IndexByte(y, '&') < 0 || bytes.IndexByte(y, '*') < 0 {
		return nil // an alias needs an anchor
	}
	var root yamlv3.Node
	if err := yamlv3.Unmarshal(y, &root); err != nil {
		// go-yaml v3 refuses a few documents that v2, the decoder that
		// counts, accepts: judge those on v2's expanded tree instead.
		return checkExpandedV2(y, l)
	}
	s := sizer{memo: map[*yamlv3.Node]int64{}, active: map[*yamlv3.Node]bool{}}
	expanded, err := s.expanded(&root)
	if err != nil {
		return err
	}
	written := writtenSize(&root)
	return l.check(written, expanded)
}

func (l Limits) check(written, expanded int64) error {
	limit := max(l.Floor, satMul(written, l.Ratio))
	if expanded > limit {
		return &ExpansionError{Written: written, Expanded: expanded, Limit: limit, Limits: l}
	}
	return nil
}

// sizer computes expanded sizes, each anchored node's once.
type sizer struct {
	memo   map[*yamlv3.Node]int64
	active map[*yamlv3.Node]bool
}

func (s *sizer) expanded(n *yamlv3.Node) (int64, error) {
	switch n.Kind {
	case yamlv3.AliasNode:
		t := n.Alias
		if t == nil {
			return NodeCost, nil
		}
		if v, ok := s.memo[t]; ok {
			return v, nil
		}
		if s.active[t] {
			return 0, ErrSelfReference
		}
		s.active[t] = true
		v, err := s.expanded(t)
		delete(s.active, t)
		if err != nil {
			return 0, err
		}
		s.memo[t] = v
		return v, nil
	case yamlv3.ScalarNode:
		return NodeCost + int64(len(n.Value)), nil
	}
	total := int64(NodeCost)
	for _, c := range n.Content {
		v, err := s.expanded(c)
		if err != nil {
			return 0, err
		}
		total = satAdd(total, v)
	}
	return total, nil
}

// writtenSize is the size of the tree with every alias counted as a node
// of its own.
func writtenSize(n *yamlv3.Node) int64 {
	switch n.Kind {
	case yamlv3.AliasNode, yamlv3.ScalarNode:
		return NodeCost + int64(len(n.Value))
	}
	total := int64(NodeCost)
	for _, c := range n.Content {
		total += writtenSize(c)
	}
	return total
}

// checkExpandedV2 judges y on go-yaml v2's decoded tree, which has its
// aliases expanded (v2 bounds their count, not the size of the strings
// they repeat, which share memory until encoded as JSON). The written
// size is then the document's length.
func checkExpandedV2(y []byte, l Limits) error {
	var v any
	if err := yamlv2.Unmarshal(y, &v); err != nil {
		return nil // the decoder reports it
	}
	limit := max(l.Floor, satMul(int64(len(y)), l.Ratio))
	if expanded := sizeV2(v, limit); expanded > limit {
		return &ExpansionError{Written: int64(len(y)), Expanded: expanded, Limit: limit, Limits: l}
	}
	return nil
}

// sizeV2 is the size of a decoded v2 value, counted until it exceeds
// stop.
func sizeV2(v any, stop int64) int64 {
	total := int64(NodeCost)
	switch t := v.(type) {
	case string:
		total += int64(len(t))
	case []byte:
		total += int64(len(t))
	case []any:
		for _, e := range t {
			if total = satAdd(total, sizeV2(e, stop)); total > stop {
				return total
			}
		}
	case map[any]any:
		for k, e := range t {
			total = satAdd(total, sizeV2(k, stop))
			if total = satAdd(total, sizeV2(e, stop)); total > stop {
				return total
			}
		}
	default:
		total += 8 // numbers, booleans, null
	}
	return total
}

func satAdd(a, b int64) int64 {
	if a+b > MaxSize || a+b < 0 {
		return MaxSize
	}
	return a + b
}

func satMul(a, b int64) int64 {
	if a != 0 && b > MaxSize/a {
		return MaxSize
	}
	return a * b
}

// human writes a size in B, KiB, MiB, GiB, … with one decimal.
func human(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f, u := float64(n), 0
	for f >= unit && u < 6 {
		f /= unit
		u++
	}
	return fmt.Sprintf("%.1f %s", f, []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}[u])
}
