package typedjson

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

type (
	withDuration struct {
		D time.Duration `json:"d"`
	}
	withTime struct {
		T time.Time `json:"t"`
	}
	withAny struct {
		A any `json:"a"`
	}
	withAnyMap struct {
		M map[string]any `json:"m"`
	}
	withStringOpt struct {
		N int `json:"n,string"`
	}
	withFormat struct {
		B []byte `json:"b,format:hex"`
	}
	namedInline struct {
		M metav1.ObjectMeta `json:",inline"`
	}
	xA struct {
		X string
	}
	xB struct {
		X string
	}
	conflicting struct {
		xA `json:",inline"`
		xB `json:",inline"`
	}
	xUntagged struct {
		X string
	}
	shadowing struct {
		Y string `json:"X"`
		xUntagged
	}
	embeddedPtr struct {
		*metav1.ObjectMeta `json:",inline"`
	}
	intMapKey struct {
		M map[int]string `json:"m"`
	}
	floats struct {
		F32 float32 `json:"f32"`
		F64 float64 `json:"f64"`
		U   uint32  `json:"u"`
		I8  int8    `json:"i8"`
	}
	legacyTypes struct {
		Q   resource.Quantity      `json:"q"`
		QP  *resource.Quantity     `json:"qp"`
		T   metav1.Time            `json:"t"`
		TP  *metav1.Time           `json:"tp"`
		MT  metav1.MicroTime       `json:"mt"`
		I   intstr.IntOrString     `json:"i"`
		IP  *intstr.IntOrString    `json:"ip"`
		R   runtime.RawExtension   `json:"r"`
		RS  []runtime.RawExtension `json:"rs"`
		Dur metav1.Duration        `json:"dur"`
		DP  *metav1.Duration       `json:"dp"`
		B   []byte                 `json:"b"`
		BM  map[string][]byte      `json:"bm"`
		S   []string               `json:"s"`
		M   map[string]string      `json:"m"`
		P   *bool                  `json:"p"`
		St  struct {
			A string `json:"a"`
		} `json:"st"`
	}
)

// TestTypeSafety checks which types may take the fast path.
func TestTypeSafety(t *testing.T) {
	for _, tc := range []struct {
		v    any
		safe bool
	}{
		{corev1.Pod{}, true},
		{appsv1.Deployment{}, true},
		{legacyTypes{}, true},
		{floats{}, true},
		{shadowing{}, false}, // v1 picks the shallow x; conservative
		{withDuration{}, false},
		{withTime{}, false},
		{withAny{}, false},
		{withAnyMap{}, false},
		{withStringOpt{}, false},
		{withFormat{}, false},
		{namedInline{}, false},
		{conflicting{}, false},
		{embeddedPtr{}, false},
		{intMapKey{}, false},
		{map[string]any{}, false},
		{admissionv1.AdmissionRequest{}, true}, // internal/review's request fields
		{struct { // internal/manifest's List
			Items []json.RawMessage `json:"items"`
		}{}, true},
		{struct { // internal/manifest's head of a document
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}{}, true},
	} {
		typ := reflectTypeOf(tc.v)
		if got := fastSafe(typ); got != tc.safe {
			t.Errorf("fastSafe(%v) = %v, want %v", typ, got, tc.safe)
		}
	}
}

func TestEdgeCases(t *testing.T) {
	deep := func(n int) string {
		return `{"metadata":{"name":"a"},"x":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}`
	}
	for _, tc := range []struct {
		name string
		json string
		newV func() any
		want outcome
	}{
		// Names.
		{"case-sensitive names", `{"metadata":{"name":"a","Name":"b","NAME":"c"},"Spec":{"nodeName":"x"}}`, newOf[corev1.Pod](), fast},
		{"escaped name", `{"metadata":{"n\u0061me":"a"}}`, newOf[corev1.Pod](), fast},
		{"kelvin sign is not k", `{"\u212aind":"Pod","kind":"Pod"}`, newOf[corev1.Pod](), fast},
		{"duplicate name", `{"kind":"Pod","kind":"Service"}`, newOf[corev1.Pod](), fallback},
		{"duplicate escaped name", `{"kind":"Pod","k\u0069nd":"Pod"}`, newOf[corev1.Pod](), fallback},
		{"duplicate escaped slice", `{"spec":{"containers":[{"name":"a","image":"x"}],"contain\u0065rs":[{"name":"b"}]}}`, newOf[corev1.Pod](), fallback},
		{"duplicate escaped map key", `{"metadata":{"labels":{"a":"1","\u0061":"2"}}}`, newOf[corev1.Pod](), fallback},
		{"duplicate nested name", `{"metadata":{"labels":{"a":"1","a":"2"}}}`, newOf[corev1.Pod](), fallback},
		{"unknown members", `{"metadata":{"name":"a","bogus":{"x":[1,2,{"y":null}]}},"extra":true}`, newOf[corev1.Pod](), fast},

		// Empty and null.
		{"empty object", `{}`, newOf[corev1.Pod](), fast},
		{"top-level null", `null`, newOf[corev1.Pod](), fast},
		{"empty array and object", `{"spec":{"containers":[],"nodeSelector":{}},"metadata":{"labels":{},"finalizers":[]}}`, newOf[corev1.Pod](), fast},
		{"null struct", `{"spec":null,"status":null}`, newOf[corev1.Pod](), fast},
		{"null slice element", `{"spec":{"containers":[null,{"name":"a"}]}}`, newOf[corev1.Pod](), fast},
		{"null map value", `{"metadata":{"labels":{"a":null}}}`, newOf[corev1.Pod](), fast},
		{"null string", `{"metadata":{"name":null}}`, newOf[corev1.Pod](), fast},
		{"null legacy types", `{"q":null,"qp":null,"t":null,"tp":null,"mt":null,"i":null,"ip":null,"r":null,"rs":[null],"dp":null,"b":null,"bm":{"a":null},"s":null,"m":null,"p":null,"st":null}`, newOf[legacyTypes](), fast},
		{"null metav1.Duration", `{"dur":null}`, newOf[legacyTypes](), failure},
		{"null creationTimestamp", `{"metadata":{"creationTimestamp":null,"deletionTimestamp":null}}`, newOf[corev1.Pod](), fast},

		// Types with UnmarshalJSON.
		{"quantities", `{"spec":{"containers":[{"name":"a","resources":{"limits":{"cpu":"100m","memory":1024},"requests":{"cpu":0.5}}}]}}`, newOf[corev1.Pod](), fast},
		{"bad quantity", `{"spec":{"containers":[{"resources":{"limits":{"cpu":"lots"}}}]}}`, newOf[corev1.Pod](), failure},
		{"legacy types", `{"q":"1Gi","qp":"2","t":"2024-01-02T03:04:05Z","tp":"2024-01-02T03:04:05+02:00","mt":"2024-01-02T03:04:05.123456Z","i":"http","ip":8080,"r":{"a" : [1, 2.50, "\u0041"]},"rs":[{"b":1},[],"x",3],"dur":"1m30s","dp":"2h","p":true,"st":{"a":"b"}}`, newOf[legacyTypes](), fast},
		{"bad time", `{"t":"yesterday"}`, newOf[legacyTypes](), failure},
		{"int-or-string ports", `{"spec":{"containers":[{"readinessProbe":{"httpGet":{"port":80}},"livenessProbe":{"httpGet":{"port":"http"}}}]}}`, newOf[corev1.Pod](), fast},
		{"raw extension", `{"data":{"spec":{"template":{"x": "\u00e9\ud83d\ude00"}}},"revision":3}`, newOf[appsv1.ControllerRevision](), fast},
		{"micro time", `{"spec":{"renewTime":"2024-01-02T03:04:05.000001Z","acquireTime":null}}`, newOf[coordinationv1.Lease](), fast},
		{"event time", `{"eventTime":"2024-01-02T03:04:05.000001Z","deprecatedFirstTimestamp":"2024-01-02T03:04:05Z"}`, newOf[eventsv1.Event](), fast},
		{"fields v1", `{"metadata":{"managedFields":[{"manager":"m","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{".":{}}}}]}}`, newOf[corev1.Pod](), fast},

		// []byte.
		{"base64", `{"data":{"a":"YQ==","b":"","c":"AAEC/+8="},"stringData":{"d":"x"}}`, newOf[corev1.Secret](), fast},
		{"base64 unpadded", `{"data":{"a":"YQ"}}`, newOf[corev1.Secret](), failure},
		{"base64 url alphabet", `{"data":{"a":"-_8="}}`, newOf[corev1.Secret](), failure},
		{"base64 newline", `{"data":{"a":"YW\nJj"}}`, newOf[corev1.Secret](), fallback},
		{"base64 escaped newline", `{"data":{"a":"YW\\nJj"}}`, newOf[corev1.Secret](), failure},
		{"base64 space", `{"data":{"a":"YW Jj"}}`, newOf[corev1.Secret](), failure},
		{"bytes as array", `{"data":{"a":[1,2]}}`, newOf[corev1.Secret](), fallback},
		{"null bytes", `{"data":{"a":null}}`, newOf[corev1.Secret](), fast},

		// Numbers.
		{"int32 max", `{"spec":{"replicas":2147483647}}`, newOf[appsv1.Deployment](), fast},
		{"int32 overflow", `{"spec":{"replicas":2147483648}}`, newOf[appsv1.Deployment](), failure},
		{"int64 overflow", `{"spec":{"activeDeadlineSeconds":9223372036854775808}}`, newOf[corev1.Pod](), failure},
		{"int64 min", `{"spec":{"activeDeadlineSeconds":-9223372036854775808}}`, newOf[corev1.Pod](), fast},
		{"exponent int", `{"spec":{"replicas":1e2}}`, newOf[appsv1.Deployment](), failure},
		{"fraction int", `{"spec":{"replicas":1.0}}`, newOf[appsv1.Deployment](), failure},
		{"negative zero int", `{"spec":{"replicas":-0}}`, newOf[appsv1.Deployment](), fast},
		{"negative zero uint", `{"u":-0}`, newOf[floats](), failure},
		{"negative uint", `{"u":-1}`, newOf[floats](), failure},
		{"int8 overflow", `{"i8":128}`, newOf[floats](), failure},
		{"floats", `{"f32":0.1,"f64":1e-300,"u":4294967295,"i8":-128}`, newOf[floats](), fast},
		{"float32 overflow", `{"f32":3.5e38}`, newOf[floats](), failure},
		{"float64 overflow", `{"f64":1e400}`, newOf[floats](), failure},
		{"float64 underflow", `{"f64":1e-400}`, newOf[floats](), fast},
		{"big quantity", `{"spec":{"containers":[{"resources":{"limits":{"cpu":123456789012345678901234567890}}}]}}`, newOf[corev1.Pod](), fast},

		// Strings.
		{"escapes", `{"metadata":{"name":"a\"b\\c\/d\b\f\n\r\t\u0000\u00e9\u20ac"}}`, newOf[corev1.Pod](), fast},
		{"surrogate pair", `{"metadata":{"name":"\ud83d\ude00"}}`, newOf[corev1.Pod](), fast},
		{"lone high surrogate", `{"metadata":{"name":"\ud800"}}`, newOf[corev1.Pod](), fallback},
		{"lone low surrogate", `{"metadata":{"name":"\udc00x"}}`, newOf[corev1.Pod](), fallback},
		{"reversed surrogates", `{"metadata":{"name":"\ude00\ud83d"}}`, newOf[corev1.Pod](), fallback},
		{"invalid UTF-8", "{\"metadata\":{\"name\":\"a\xffb\"}}", newOf[corev1.Pod](), fallback},
		{"invalid UTF-8 in unknown member", "{\"x\":\"\xc3\"}", newOf[corev1.Pod](), fallback},
		{"invalid UTF-8 in name", "{\"metadata\":{\"labels\":{\"\xff\":\"a\"}}}", newOf[corev1.Pod](), fallback},

		// Wrong types: sigs.k8s.io/json decodes the rest and fails.
		{"string for int", `{"spec":{"replicas":"3"}}`, newOf[appsv1.Deployment](), failure},
		{"number for string", `{"metadata":{"name":3}}`, newOf[corev1.Pod](), failure},
		{"object for slice", `{"spec":{"containers":{}}}`, newOf[corev1.Pod](), failure},
		{"array for object", `{"metadata":[]}`, newOf[corev1.Pod](), failure},
		{"array document", `[]`, newOf[corev1.Pod](), failure},
		{"string document", `"x"`, newOf[corev1.Pod](), failure},

		// Syntax.
		{"trailing value", `{} {}`, newOf[corev1.Pod](), failure},
		{"trailing garbage", `{}x`, newOf[corev1.Pod](), failure},
		{"trailing whitespace", "{ }\n\t ", newOf[corev1.Pod](), fast},
		{"truncated", `{"metadata":{`, newOf[corev1.Pod](), failure},
		{"trailing comma", `{"metadata":{},}`, newOf[corev1.Pod](), failure},
		{"byte order mark", "\ufeff{}", newOf[corev1.Pod](), failure},
		{"empty input", ``, newOf[corev1.Pod](), failure},
		{"nesting 9990", deep(9990), newOf[corev1.Pod](), fast},
		{"nesting 9999", deep(9998), newOf[corev1.Pod](), fast},
		{"nesting 10000", deep(9999), newOf[corev1.Pod](), fast},
		{"nesting 10001", deep(10000), newOf[corev1.Pod](), failure},

		// Raw members kept as written (internal/manifest's List items).
		{"raw items", "{\"items\":[ {\"a\" : \"\\u00e9\" } ,\n[1,2.50e1],null,\"x\"]}", newOf[struct {
			Items []json.RawMessage `json:"items"`
		}](), fast},

		// Types that never take the fast path.
		{"duration", `{"d":1000}`, newOf[withDuration](), refused},
		{"interface", `{"a":{"n":1,"f":1.5,"l":[2]}}`, newOf[withAny](), refused},
		{"string option", `{"n":"12"}`, newOf[withStringOpt](), refused},
		{"conflicting names", `{"X":"a"}`, newOf[conflicting](), refused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := compare(t, []byte(tc.json), tc.newV); got != tc.want {
				t.Errorf("%s, want %s", got, tc.want)
			}
		})
	}
}

// TestFallbackAfterTypeError checks that a type v2 refuses (conflicting
// names) decodes as sigs.k8s.io/json decodes it, had it taken the fast
// path: from a zero value again.
func TestFallbackAfterTypeError(t *testing.T) {
	for _, data := range []string{`{"X":"a"}`, `{"xA":{"X":"b"}}`, `{}`} {
		var want, got conflicting
		wantErr := Legacy([]byte(data), &want)
		gotErr := fastThenLegacy([]byte(data), reflectValueOf(&got), &got)
		if !sameErr(gotErr, wantErr) || want != got {
			t.Errorf("%s: got %+v, %v; want %+v, %v", data, got, gotErr, want, wantErr)
		}
	}
	// A value v2 half-filled before failing is decoded again from zero.
	var want, got corev1.Pod
	data := []byte(`{"metadata":{"name":"a","labels":{"x":"1"}},"spec":{"containers":[{"name":"c"}],"replicas":"x"},"kind":"Pod","kind":"Pod"}`)
	wantErr := Legacy(data, &want)
	gotErr := fastThenLegacy(data, reflectValueOf(&got), &got)
	if !sameErr(gotErr, wantErr) || !deepEqual(got, want) {
		t.Errorf("got %+v, %v; want %+v, %v", got, gotErr, want, wantErr)
	}
}

// TestNonZeroTarget checks that a value that is not zero takes the slow
// path: sigs.k8s.io/json merges into it.
func TestNonZeroTarget(t *testing.T) {
	data := []byte(`{"metadata":{"labels":{"b":"2"}}}`)
	want := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "n", Labels: map[string]string{"a": "1"}}}
	got := *want.DeepCopy()
	if err := Legacy(data, &want); err != nil {
		t.Fatal(err)
	}
	if err := Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if !deepEqual(got, want) || got.Labels["a"] != "1" {
		t.Errorf("got %+v, want %+v", got.ObjectMeta, want.ObjectMeta)
	}
}

// panicsOnce panics in its first UnmarshalJSON call.
type panicsOnce struct{}

var panicCalls int

func (p *panicsOnce) UnmarshalJSON([]byte) error {
	panicCalls++
	if panicCalls == 1 {
		panic("a bug")
	}
	return nil
}

// TestPanicFallsBack checks that a panic of the fast path (a bug of v2)
// leaves the input to sigs.k8s.io/json.
func TestPanicFallsBack(t *testing.T) {
	var v struct {
		P panicsOnce `json:"p"`
		N string     `json:"n"`
	}
	if err := Unmarshal([]byte(`{"n":"x","p":1}`), &v); err != nil || v.N != "x" || panicCalls != 2 {
		t.Errorf("got %+v, %v after %d calls", v, err, panicCalls)
	}
}

func TestNotAPointer(t *testing.T) {
	var p corev1.Pod
	for _, v := range []any{p, nil, (*corev1.Pod)(nil)} {
		if !sameErr(Unmarshal([]byte(`{}`), v), Legacy([]byte(`{}`), v)) {
			t.Errorf("%T: errors differ", v)
		}
	}
}

func TestZeroMemory(t *testing.T) {
	for _, tc := range []struct {
		v    any
		zero bool
	}{
		{&corev1.Pod{}, true},
		{&corev1.Pod{Spec: corev1.PodSpec{NodeName: "x"}}, false},
		{&corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{}}}, false},
		{&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{}}}, false},
		{&corev1.Pod{Status: corev1.PodStatus{StartTime: &metav1.Time{}}}, false},
		{new(floats), true},
		{&floats{F64: math.Copysign(0, -1)}, false},
		{new([64 << 10]byte), true},
		{&[64 << 10]byte{1 << 10: 1}, false},
		{new(int), true},
	} {
		if got := zeroMemory(reflectValueOf(tc.v)); got != tc.zero {
			t.Errorf("zeroMemory(%T) = %v, want %v", tc.v, got, tc.zero)
		}
	}
}
