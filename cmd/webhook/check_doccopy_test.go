package main

import (
	"strings"
	"testing"

	"github.com/guardrails-dev/guardrails/internal/manifest"
)

// TestDocCopies: a copy outlives the reader's next document, keeps the
// document's fields, and a recycled buffer does not leak into the next
// copy; JSON documents are never recycled (the decoder reads them in
// place).
func TestDocCopies(t *testing.T) {
	dr := manifest.NewDocumentReader(strings.NewReader("a: 1\nb: 2\n---\nc: 3\n"))
	first, err := dr.Next()
	if err != nil {
		t.Fatal(err)
	}
	c1 := copyDoc(first)
	second, err := dr.Next()
	if err != nil {
		t.Fatal(err)
	}
	if got := string(c1.Data); got != "a: 1\nb: 2\n" || c1.Index != 1 || c1.Line != 1 {
		t.Fatalf("copy of document 1 after reading document 2: index %d, line %d, %q", c1.Index, c1.Line, got)
	}
	releaseDoc(c1)
	c2 := copyDoc(second)
	if got := string(c2.Data); got != "c: 3\n" || c2.Index != 2 || c2.Line != 4 {
		t.Fatalf("copy of document 2: index %d, line %d, %q", c2.Index, c2.Line, got)
	}
	releaseDoc(c2)

	js := copyDoc(&manifest.Document{Index: 1, Data: []byte(`{"kind":"Pod"}`), JSON: true})
	releaseDoc(js)
	if string(js.Data) != `{"kind":"Pod"}` || !js.JSON {
		t.Fatalf("a released JSON document changed: %+v", js)
	}
}
