package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestGeneratedFileUpToDate: the committed decoders are what the
// generator writes for the API types of go.mod's client-go (a version
// bump that adds a field fails here until `make generate`).
func TestGeneratedFileUpToDate(t *testing.T) {
	want, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join("..", "..", Output))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is not what hack/gendecoders writes: run make generate", Output)
	}
}

// TestFieldsRefuseWhatItCannotRead: tag options, embedded pointers and
// names given twice stop the generator rather than produce a decoder
// that reads differently from sigs.k8s.io/json.
func TestFieldsRefuseWhatItCannotRead(t *testing.T) {
	type inner struct{ A string }
	for _, v := range []any{
		struct {
			N int `json:"n,string"`
		}{},
		struct{ *inner }{},
		struct {
			inner `json:"in,inline"`
		}{},
		struct {
			A string `json:"B"`
			B string
		}{},
	} {
		if _, err := fields(reflect.TypeOf(v), ""); err == nil {
			t.Errorf("fields(%T) accepted", v)
		}
	}
	g := &gen{imports: map[string]string{}, done: map[reflect.Type]bool{}}
	for _, v := range []any{[]byte(nil), map[int]string{}, float64(0), (*any)(nil)} {
		if _, err := g.value(reflect.TypeOf(v), "x", 0); err == nil {
			t.Errorf("value(%T) accepted", v)
		}
	}
}
