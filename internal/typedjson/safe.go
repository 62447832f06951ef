package typedjson

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode"

	jsonv2 "github.com/go-json-experiment/json"
)

var (
	jsonUnmarshaler   = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler   = reflect.TypeFor[encoding.TextUnmarshaler]()
	v2UnmarshalerFrom = reflect.TypeFor[jsonv2.UnmarshalerFrom]()
	durationType      = reflect.TypeFor[time.Duration]()
	timeType          = reflect.TypeFor[time.Time]()
)

// safeTypes caches fastSafe's verdicts (reflect.Type to bool).
var safeTypes sync.Map

// fastSafe tells whether every value the decoders can fill in a t is
// decoded alike by go-json-experiment/json (default options) and
// sigs.k8s.io/json wherever the first succeeds. It allows only:
//   - types with an UnmarshalJSON method (both decoders call it with the
//     member's bytes; on null for non-pointers, nil for pointers);
//   - bools, strings, integers and floats of any name;
//   - pointers, slices and arrays of allowed types ([]byte is base64 to
//     both);
//   - maps with string keys (no unmarshal methods) and allowed values;
//   - structs whose fields are allowed, whose tags use only the name and
//     omitempty, omitzero or inline (on embedded fields), whose embedded
//     fields are exported non-pointer structs without a name, and whose
//     JSON names, embedded fields included, are all distinct.
//
// Everything else is refused: interfaces (sigs.k8s.io/json keeps
// integers as int64, v2 makes float64), time.Duration and time.Time (v2
// has its own representations), text unmarshalers, v2's own method
// (UnmarshalJSONFrom), channels, functions, complex numbers, uintptr.
func fastSafe(t reflect.Type) bool {
	if ok, found := safeTypes.Load(t); found {
		return ok.(bool)
	}
	ok := unsafeReason(t) == ""
	safeTypes.Store(t, ok)
	return ok
}

// unsafeReason tells why t may not take the fast path: "" when it may.
func unsafeReason(t reflect.Type) string {
	return walk(t, map[reflect.Type]bool{})
}

// walk is unsafeReason; seen holds the types checked already or being
// checked further up (recursive types are safe if the rest is).
func walk(t reflect.Type, seen map[reflect.Type]bool) string {
	if seen[t] {
		return ""
	}
	seen[t] = true
	switch {
	case t == durationType, t == timeType:
		return t.String() + ": v2 has its own representation"
	case implements(t, v2UnmarshalerFrom):
		return t.String() + ": has UnmarshalJSONFrom"
	case implements(t, jsonUnmarshaler):
		return ""
	case implements(t, textUnmarshaler):
		return t.String() + ": a text unmarshaler"
	}
	switch t.Kind() {
	case reflect.Bool, reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return ""
	case reflect.Pointer:
		return walk(t.Elem(), seen)
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && t.Elem() != reflect.TypeFor[byte]() {
			return t.String() + ": named bytes (v1 and v2 disagree on when base64 applies)"
		}
		return walk(t.Elem(), seen)
	case reflect.Map:
		k := t.Key()
		if k.Kind() != reflect.String || implements(k, jsonUnmarshaler) || implements(k, textUnmarshaler) || implements(k, v2UnmarshalerFrom) {
			return t.String() + ": map keys are not plain strings (v2 calls their methods, v1 not all)"
		}
		return walk(t.Elem(), seen)
	case reflect.Struct:
		return walkStruct(t, seen, map[string]bool{})
	}
	return t.String() + ": kind " + t.Kind().String()
}

// walkStruct checks the fields of t, and of the structs embedded in it,
// adding their JSON names to names.
func walkStruct(t reflect.Type, seen map[reflect.Type]bool, names map[string]bool) string {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, tagged := f.Tag.Lookup("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		inline := false
		for o := range strings.SplitSeq(opts, ",") {
			switch o {
			case "", "omitempty", "omitzero":
			case "inline":
				inline = true
			default: // string, format:..., case:..., nocase, unknown
				return t.String() + "." + f.Name + ": tag option " + o
			}
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() != reflect.Struct || !f.IsExported() {
				return t.String() + "." + f.Name + ": embedded, not an exported struct"
			}
			if implements(ft, jsonUnmarshaler) || implements(ft, textUnmarshaler) || implements(ft, v2UnmarshalerFrom) {
				return t.String() + "." + f.Name + ": embedded with an unmarshal method"
			}
			if r := walkStruct(ft, seen, names); r != "" {
				return r
			}
			continue
		}
		if inline {
			return t.String() + "." + f.Name + ": inline on a named field (v2 inlines it, v1 does not)"
		}
		if !f.IsExported() {
			if tagged {
				return t.String() + "." + f.Name + ": tag on an unexported field (v2 refuses it)"
			}
			continue
		}
		if name == "" {
			name = f.Name
		} else if !validName(name) {
			return t.String() + "." + f.Name + ": invalid name (v1 ignores it)"
		}
		if names[name] {
			return t.String() + "." + f.Name + ": JSON name " + name + " twice (v1 picks or drops, v2 refuses the type)"
		}
		names[name] = true
		if r := walk(f.Type, seen); r != "" {
			return r
		}
	}
	return ""
}

// validName is encoding/json's isValidTag.
func validName(s string) bool {
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}

func implements(t, iface reflect.Type) bool {
	return t.Implements(iface) || (t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(iface))
}
