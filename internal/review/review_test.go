package review

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	"gomodules.xyz/jsonpatch/v2"
	admissionv1 "k8s.io/api/admission/v1"
	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

const deployment = `{"uid":"u-1","kind":{"group":"apps","version":"v1","kind":"Deployment"},` +
	`"resource":{"group":"apps","version":"v1","resource":"deployments"},"name":"web","namespace":"team",` +
	`"operation":"UPDATE","userInfo":{"username":"alice","groups":["dev"],"extra":{"k":["v"]}},` +
	`"object":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":3}},` +
	`"oldObject":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":2}},` +
	`"dryRun":false,"options":{"apiVersion":"meta.k8s.io/v1","kind":"UpdateOptions"}}`

func reviewOf(apiVersion, request string) string {
	return `{"apiVersion":"` + apiVersion + `","kind":"AdmissionReview","request":` + request + `}`
}

func TestDecode(t *testing.T) {
	want := admissionv1.AdmissionRequest{
		UID:       "u-1",
		Kind:      metav1.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"},
		Resource:  metav1.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"},
		Name:      "web",
		Namespace: "team",
		Operation: admissionv1.Update,
	}
	want.UserInfo.Username, want.UserInfo.Groups = "alice", []string{"dev"}
	want.UserInfo.Extra = map[string]authnv1.ExtraValue{"k": {"v"}}
	want.Object.Raw = []byte(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":3}}`)
	want.OldObject.Raw = []byte(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":2}}`)
	want.DryRun = new(bool)
	want.Options.Raw = []byte(`{"apiVersion":"meta.k8s.io/v1","kind":"UpdateOptions"}`)
	// The object before the kind: the decoder keeps raw objects, so the
	// order of the request's fields does not matter.
	objectFirst := `{"object":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":3}},` +
		strings.TrimPrefix(strings.Replace(deployment, `"object":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":3}},`, "", 1), "{")

	for _, tc := range []struct {
		name    string
		body    string
		wantGVK schema.GroupVersionKind
		want    admissionv1.AdmissionRequest
		wantErr string
	}{
		{name: "v1", body: reviewOf("admission.k8s.io/v1", deployment), wantGVK: V1, want: want},
		{name: "v1beta1", body: reviewOf("admission.k8s.io/v1beta1", deployment), wantGVK: V1beta1, want: want},
		{name: "object before kind", body: reviewOf("admission.k8s.io/v1", objectFirst), wantGVK: V1, want: want},
		{name: "kind after request", body: `{"request":` + deployment + `,"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1"}`, wantGVK: V1, want: want},
		{name: "no request", body: `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`, wantGVK: V1},
		{name: "null request", body: reviewOf("admission.k8s.io/v1", "null"), wantGVK: V1},
		{name: "null then request", body: `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":null,"request":` + deployment + `}`, wantGVK: V1},
		{name: "field names are case-sensitive", body: `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","Request":` + deployment + `}`, wantGVK: V1},
		{name: "bad JSON", body: `{"apiVersion":"admission.k8s.io/v1",`, wantErr: "unexpected end of JSON input"},
		{name: "not an object", body: `[1]`, wantErr: "cannot unmarshal array"},
		{name: "wrong field type", body: reviewOf("admission.k8s.io/v1", `{"uid":5}`), wantErr: "cannot unmarshal number"},
		{name: "object not JSON", body: reviewOf("admission.k8s.io/v1", `{"object":x}`), wantErr: "invalid character"},
		{name: "wrong kind", body: `{"apiVersion":"admission.k8s.io/v1","kind":"Deployment","request":` + deployment + `}`, wantErr: `kind "Deployment"`},
		{name: "wrong apiVersion", body: `{"apiVersion":"admission.k8s.io/v2","kind":"AdmissionReview","request":` + deployment + `}`, wantErr: `apiVersion "admission.k8s.io/v2"`},
		{name: "no apiVersion", body: `{"kind":"AdmissionReview","request":` + deployment + `}`, wantErr: "not an admission.k8s.io/v1 or v1beta1 AdmissionReview"},
		{name: "null", body: `null`, wantErr: "not an admission.k8s.io/v1 or v1beta1 AdmissionReview"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got admissionv1.AdmissionRequest
			gvk, err := Decode([]byte(tc.body), &got)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if gvk != tc.wantGVK {
				t.Errorf("kind %v, want %v", gvk, tc.wantGVK)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("request\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// cases are bodies that the Handler and controller-runtime must answer
// alike: the admission fixtures of the repository and bad bodies.
func cases(t testing.TB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{
		"no request":          []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`),
		"null request":        []byte(reviewOf("admission.k8s.io/v1", "null")),
		"v1beta1":             []byte(reviewOf("admission.k8s.io/v1beta1", deployment)),
		"other apiVersion":    []byte(reviewOf("admission.k8s.io/v2", deployment)),
		"no apiVersion":       []byte(`{"kind":"AdmissionReview","request":` + deployment + `}`),
		"upper-case keys":     []byte(`{"APIVERSION":"admission.k8s.io/v1beta1","KIND":"AdmissionReview","request":` + deployment + `}`),
		"not json":            []byte(`{not json`),
		"truncated":           []byte(reviewOf("admission.k8s.io/v1", deployment)[:100]),
		"yaml":                []byte("apiVersion: admission.k8s.io/v1\nkind: AdmissionReview\nrequest:\n  uid: x\n"),
		"array":               []byte(`[]`),
		"null":                []byte(`null`),
		"wrong field type":    []byte(reviewOf("admission.k8s.io/v1", `{"uid":5}`)),
		"object not json":     []byte(reviewOf("admission.k8s.io/v1", `{"uid":"1","object":"x"}`)),
		"bad response":        []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":5,"request":` + deployment + `}`),
		"null then request":   []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":null,"request":` + deployment + `}`),
		"apiVersion a number": []byte(`{"apiVersion":1,"kind":"AdmissionReview","request":` + deployment + `}`),
		"leading space":       []byte("  \n" + reviewOf("admission.k8s.io/v1", deployment)),
		"trailing data":       []byte(reviewOf("admission.k8s.io/v1", deployment) + `{}`),
		"invalid UTF-8":       []byte(reviewOf("admission.k8s.io/v1", `{"uid":"\xff\xfe","name":"a\u00e9"}`)),
	}
	for _, dir := range []string{"../admission/testdata"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.json"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no fixtures in %s: %v", dir, err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out[filepath.Base(f)] = b
		}
	}
	return out
}

// recorder is an admission handler that keeps the requests it receives
// and answers with a patch, a warning and an audit annotation (what
// Complete and the encoder turn into JSON).
type recorder struct{ got []admission.Request }

func jsonPatch(op, path string, value any) jsonpatch.JsonPatchOperation {
	return jsonpatch.JsonPatchOperation{Operation: op, Path: path, Value: value}
}

func (r *recorder) Handle(_ context.Context, req admission.Request) admission.Response {
	r.got = append(r.got, req)
	if req.Name == "panic" {
		panic("boom")
	}
	resp := admission.Patched("defaulted", jsonPatch("add", "/metadata/labels", map[string]any{"a": "b"}))
	resp.Warnings = []string{"careful <&>"}
	resp.AuditAnnotations = map[string]string{"rule": "x"}
	return resp
}

// exchange is what a client sees and what the handler received.
type exchange struct {
	code   int
	header http.Header
	body   string
	got    []admission.Request
}

func post(h http.Handler, rec *recorder, body []byte, contentType string) exchange {
	var r *http.Request
	if body == nil {
		r = httptest.NewRequest(http.MethodPost, "/validate", nil)
	} else {
		r = httptest.NewRequest(http.MethodPost, "/validate", bytes.NewReader(body))
	}
	r.Header.Set("Content-Type", contentType)
	return serve(h, rec, r)
}

// serve serves r with h and returns the exchange, with what the handler
// behind it got (rec).
func serve(h http.Handler, rec *recorder, r *http.Request) exchange {
	rec.got = nil
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return exchange{code: w.Code, header: w.Header(), body: w.Body.String(), got: rec.got}
}

// pair returns controller-runtime's standalone webhook and the Handler,
// each over its own recorder.
func pair(t testing.TB) (cr http.Handler, crRec *recorder, ours http.Handler, ourRec *recorder) {
	t.Helper()
	crRec, ourRec = &recorder{}, &recorder{}
	cr, err := admission.StandaloneWebhook(&admission.Webhook{Handler: crRec}, admission.StandaloneOptions{Logger: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	hook := &admission.Webhook{Handler: ourRec}
	if _, err := admission.StandaloneWebhook(hook, admission.StandaloneOptions{Logger: logr.Discard()}); err != nil {
		t.Fatal(err)
	}
	return cr, crRec, &Handler{Webhook: hook, Log: logr.Discard()}, ourRec
}

func same(t testing.TB, name string, want, got exchange) {
	t.Helper()
	if want.code != got.code || want.body != got.body || !reflect.DeepEqual(want.header, got.header) {
		t.Errorf("%s: answer\n got %d %v %s\nwant %d %v %s", name, got.code, got.header, got.body, want.code, want.header, want.body)
	}
	if !reflect.DeepEqual(want.got, got.got) {
		t.Errorf("%s: handler received\n got %+v\nwant %+v", name, got.got, want.got)
	}
}

// TestHandlerAnswersAsControllerRuntime posts every case to
// controller-runtime's webhook and to the Handler: same status, headers,
// answer bytes, and the same admission.Request for the handler.
func TestHandlerAnswersAsControllerRuntime(t *testing.T) {
	cr, crRec, ours, ourRec := pair(t)
	for name, body := range cases(t) {
		for _, ct := range []string{"application/json", "text/plain", ""} {
			same(t, name+" "+ct, post(cr, crRec, body, ct), post(ours, ourRec, body, ct))
		}
	}
	panicking := []byte(strings.Replace(reviewOf("admission.k8s.io/v1", deployment), `"name":"web","namespace"`, `"name":"panic","namespace"`, 1))
	same(t, "panic", post(cr, crRec, panicking, "application/json"), post(ours, ourRec, panicking, "application/json"))
	same(t, "empty body", post(cr, crRec, nil, "application/json"), post(ours, ourRec, nil, "application/json"))
	if ex := post(ours, ourRec, []byte(reviewOf("admission.k8s.io/v1beta1", deployment)), "application/json"); !strings.Contains(ex.body, `"apiVersion":"admission.k8s.io/v1beta1"`) || !strings.Contains(ex.body, `"uid":"u-1"`) || !strings.Contains(ex.body, `"patchType":"JSONPatch"`) {
		t.Errorf("v1beta1 answer %s", ex.body)
	}
}

// TestHandlerBodyLimit: a body of MaxBodyBytes or more is answered 413 as
// controller-runtime does, one byte less is read; a body that fails to
// read is answered 400 with the read error.
func TestHandlerBodyLimit(t *testing.T) {
	cr, crRec, ours, ourRec := pair(t)
	review := []byte(reviewOf("admission.k8s.io/v1", deployment))
	for _, n := range []int{MaxBodyBytes - 1, MaxBodyBytes, MaxBodyBytes + 1, 8 << 20} {
		body := append(append([]byte{}, review...), bytes.Repeat([]byte(" "), n-len(review))...)
		want, got := post(cr, crRec, body, "application/json"), post(ours, ourRec, body, "application/json")
		same(t, "size", want, got)
		if too := n >= MaxBodyBytes; too != strings.Contains(got.body, "request entity is too large") {
			t.Errorf("%d bytes: %s", n, got.body)
		}
		// The same body without a Content-Length (chunked): read from
		// a small buffer up.
		unsized := func(h http.Handler, rec *recorder) exchange {
			r := httptest.NewRequest(http.MethodPost, "/validate", io.NopCloser(bytes.NewReader(body)))
			r.ContentLength = -1
			r.Header.Set("Content-Type", "application/json")
			return serve(h, rec, r)
		}
		want, got = unsized(cr, crRec), unsized(ours, ourRec)
		same(t, "size, no Content-Length", want, got)
		if too := n >= MaxBodyBytes; too != strings.Contains(got.body, "request entity is too large") {
			t.Errorf("%d bytes, no Content-Length: %s", n, got.body)
		}
	}
	failing := func(h http.Handler) exchange {
		r := httptest.NewRequest(http.MethodPost, "/validate", io.NopCloser(io.MultiReader(bytes.NewReader(review[:50]), errReader{errors.New("connection reset")})))
		r.Header.Set("Content-Type", "application/json")
		r.ContentLength = int64(len(review))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return exchange{code: w.Code, header: w.Header(), body: w.Body.String()}
	}
	want, got := failing(cr), failing(ours)
	same(t, "read error", want, got)
	if !strings.Contains(got.body, "connection reset") {
		t.Errorf("read error answer %s", got.body)
	}
}

// FuzzHandler holds the Handler to controller-runtime's webhook on any
// body: the same answer and the same request for the handler.
func FuzzHandler(f *testing.F) {
	for _, body := range cases(f) {
		f.Add(body)
	}
	cr, crRec, ours, ourRec := pair(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		same(t, "fuzz", post(cr, crRec, body, "application/json"), post(ours, ourRec, body, "application/json"))
	})
}

// TestAPIVersions keeps the constants the fast path compares with in step
// with client-go's.
func TestAPIVersions(t *testing.T) {
	if V1.GroupVersion().String() != v1APIVersion || V1beta1.GroupVersion().String() != v1beta1APIVersion {
		t.Errorf("%v %v", V1, V1beta1)
	}
}

// FuzzDecode holds the one-pass reading (decodeFast) to sigs.k8s.io/json
// (decodeReview): whenever the fast path reads a body, the decoder reads
// the same review from it.
func FuzzDecode(f *testing.F) {
	for _, body := range cases(f) {
		f.Add(body)
	}
	f.Add([]byte(reviewOf("admission.k8s.io/v1", `{"uid":"a","uid":"b","object":{},"Object":1,"options":[1,2]}`)))
	for _, req := range []string{
		`{"uid":"a\u0062","name":"n\"","namespace":"cafÃ©","operation":"ÿ"}`,
		`{"kind":{"group":"apps","group":"x","Kind":1,"other":{"a":[1]}},"resource":{"resource":"r"},"requestKind":null,"requestResource":{}}`,
		`{"requestKind":{"group":"g","version":"v","kind":"K"},"requestResource":{"group":"g","version":"v","resource":"ks"},"requestSubResource":"status","subResource":"scale"}`,
		`{"dryRun":true,"dryRun":false}`, `{"dryRun":null}`, `{"dryRun":1}`, `{"uid":null,"name":null}`,
		`{"userInfo":{"username":"u","uid":"1","groups":[],"extra":{}}}`,
		`{"userInfo":{"groups":["a","b",1],"extra":{"k":["v"],"k":["w","x"],"e":[],"n":null}}}`,
		`{"userInfo":{"groups":null,"extra":null,"Username":"x","username":"y","username":"z"}}`,
		`{"userInfo":{"extra":{"cafÃ©":["v"],"k\u0020":["v"]}}}`,
		`{"userInfo":null,"kind":null,"resource":[]}`,
		`{"object":null,"oldObject":null,"options":null,"UID":"x","uid":"y","extra":1}`,
		` { "uid" : "a" , "kind" : { "group" : "" , "version" : "v1" , "kind" : "Pod" } , "userInfo" : { "groups" : [ "g" , "h" ] } } `,
	} {
		f.Add([]byte(reviewOf("admission.k8s.io/v1", req)))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var fast, slow admissionv1.AdmissionRequest
		gvk, ok := decodeFast(body, &fast)
		if !ok {
			return
		}
		want, err := decodeReview(body, &slow)
		if err != nil {
			t.Fatalf("fast path read %q, the decoder fails: %v", body, err)
		}
		if gvk != want || !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q:\n fast %v %+v\n slow %v %+v", body, gvk, fast, want, slow)
		}
	})
}

// TestDecodeFastPath: the reviews of the fixtures (what the API server
// sends) take the fast path.
func TestDecodeFastPath(t *testing.T) {
	for name, body := range cases(t) {
		if !strings.HasSuffix(name, ".json") {
			continue
		}
		var req admissionv1.AdmissionRequest
		if _, ok := decodeFast(body, &req); !ok || req.UID == "" || len(req.Object.Raw) == 0 {
			t.Errorf("%s: fast path %v, uid %q", name, ok, req.UID)
		}
	}
}

// FuzzSkipValue holds skipValue to encoding/json: it accepts exactly the
// valid JSON values (with nothing but space after them).
func FuzzSkipValue(f *testing.F) {
	for _, s := range []string{`{"a":[1,-2.5e+3,true,false,null,"\u00e9\n"]}`, `0`, `-0.1E5`, `"\ud800"`, `[]`, `{}`, `01`, `1.`, `"a` + "\x01" + `"`, `{"a" 1}`, `[1,]`, `nul`, "\xff", `"\x"`, `1e`, `-`, `{"a":{"b":[[[]]]}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, d []byte) {
		i := skipSpace(d, 0)
		end, ok := skipValue(d, i)
		got := ok && skipSpace(d, end) == len(d)
		if want := json.Valid(d); got != want {
			t.Fatalf("%q: skipValue %v, json.Valid %v", d, got, want)
		}
	})
}

// BenchmarkDecode reads the review of each admission fixture with Decode
// (the fast path) and with sigs.k8s.io/json alone (decodeReview).
//
//	go test ./internal/review -run '^$' -bench Decode -benchmem
func BenchmarkDecode(b *testing.B) {
	for _, name := range []string{"deployment-create.json", "clusterrolebinding-create.json"} {
		body := cases(b)[name]
		for _, d := range []struct {
			name   string
			decode func([]byte, *admissionv1.AdmissionRequest) (schema.GroupVersionKind, error)
		}{{"Decode", Decode}, {"decoder", decodeReview}} {
			b.Run(name+"/"+d.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					var req admissionv1.AdmissionRequest
					if _, err := d.decode(body, &req); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestHandlerKeepsNoBody: the Handler reads bodies into buffers it uses
// again (bodies), so the request a handler gets must hold no string that
// shares the body's bytes. The buffer is scribbled over once the answer is
// written, as the next request would overwrite it: what the handler got
// stays as it was, but for the raw objects, which live as long as the
// request.
func TestHandlerKeepsNoBody(t *testing.T) {
	_, _, ours, rec := pair(t)
	ex := post(ours, rec, []byte(reviewOf("admission.k8s.io/v1", deployment)), "application/json")
	if ex.code != http.StatusOK || len(ex.got) != 1 {
		t.Fatalf("answer %d %s, handler got %d requests", ex.code, ex.body, len(ex.got))
	}
	got := &ex.got[0].AdmissionRequest
	withoutRaw := func() string {
		r := *got
		r.Object.Raw, r.OldObject.Raw, r.Options.Raw = nil, nil, nil
		return fmt.Sprintf("%+v", r)
	}
	before, raw := withoutRaw(), string(got.Object.Raw)
	if !strings.Contains(before, "alice") || !strings.Contains(before, "u-1") {
		t.Fatalf("handler got %s", before)
	}

	buf := bodies.Get().(*[]byte)
	b := (*buf)[:cap(*buf)]
	for i := range b {
		b[i] = 'x'
	}
	bodies.Put(buf)
	if string(got.Object.Raw) == raw {
		t.Skip("the pool handed out another buffer (the race detector drops some): nothing to check")
	}
	if after := withoutRaw(); after != before {
		t.Errorf("the request changed with the body's buffer:\n got %s\nwant %s", after, before)
	}
}
