package typedjson

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/client-go/kubernetes/scheme"
)

// generatedOutcome tells whether the generated decoder of newV's type
// reads data itself ("read") or leaves it to sigs.k8s.io/json ("left");
// compare checks that what it reads equals sigs.k8s.io/json's value.
func generatedOutcome(t *testing.T, data []byte, newV func() any) string {
	t.Helper()
	compare(t, data, newV)
	handled, err := decodeFast(data, newV())
	if !handled {
		t.Fatalf("no generated decoder for %T", newV())
	}
	if err != nil {
		return "left"
	}
	return "read"
}

// TestGeneratedDecoderEdges: what the generated decoders read themselves
// and what they leave to sigs.k8s.io/json. Whatever they read must equal
// sigs.k8s.io/json's value (compare); being stricter only costs time.
func TestGeneratedDecoderEdges(t *testing.T) {
	deep := func(n int) string {
		return `{"x":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}`
	}
	pod, dep := newOf[corev1.Pod](), newOf[appsv1.Deployment]()
	for _, tc := range []struct {
		name, json string
		newV       func() any
		want       string
	}{
		{"escaped names", `{"k\u0069nd":"Pod","metadata":{"n\u0061me":"a","labels":{"\u0061":"1"}}}`, pod, "read"},
		{"white space everywhere", " {\n\t\"metadata\" : { \"name\" : \"a\" , \"labels\" : { } } , \"spec\" : { \"containers\" : [ { \"name\" : \"c\" } ] } } \r\n", pod, "read"},
		{"nulls", `{"metadata":{"name":null,"labels":{"a":null},"creationTimestamp":null},"spec":{"containers":[null],"nodeSelector":null,"priority":null,"hostNetwork":null}}`, pod, "read"},
		{"unknown members of every shape", `{"x":{"a":[1,-2.5e+3,true,false,null,"\u00e9\n"],"b":{}},"metadata":{"y":[]}}`, pod, "read"},
		{"unknown member twice", `{"x":1,"x":2}`, pod, "read"},
		{"member twice", `{"kind":"Pod","kind":"Service"}`, pod, "left"},
		{"escaped member twice", `{"kind":"Pod","k\u0069nd":"Pod"}`, pod, "left"},
		{"map key twice", `{"metadata":{"labels":{"a":"1","a":"2"}}}`, pod, "left"},
		{"negative zero", `{"spec":{"replicas":-0}}`, dep, "left"},
		{"fraction", `{"spec":{"replicas":1.0}}`, dep, "left"},
		{"exponent", `{"spec":{"replicas":1e2}}`, dep, "left"},
		{"int32 overflow", `{"spec":{"replicas":2147483648}}`, dep, "left"},
		{"int32 min", `{"spec":{"replicas":-2147483648}}`, dep, "read"},
		{"int64 min", `{"spec":{"activeDeadlineSeconds":-9223372036854775808}}`, pod, "read"},
		{"leading zero", `{"spec":{"replicas":01}}`, dep, "left"},
		{"string for int", `{"spec":{"replicas":"3"}}`, dep, "left"},
		{"invalid UTF-8 kept", "{\"metadata\":{\"name\":\"a\xffb\"}}", pod, "left"},
		{"UTF-8 kept", `{"metadata":{"name":"ünïcödé €"}}`, pod, "read"},
		{"lone surrogate", `{"metadata":{"name":"\ud800"}}`, pod, "left"},
		{"bad escape skipped", `{"x":"\q"}`, pod, "left"},
		{"control character skipped", "{\"x\":\"a\tb\"}", pod, "left"},
		{"bad number skipped", `{"x":1.}`, pod, "left"},
		{"bad literal skipped", `{"x":nul}`, pod, "left"},
		{"nesting 1000 skipped", deep(1000), pod, "read"},
		{"nesting 1002 skipped", deep(1002), pod, "left"},
		{"trailing comma", `{"metadata":{},}`, pod, "left"},
		{"missing comma", `{"kind":"Pod" "apiVersion":"v1"}`, pod, "left"},
		{"trailing value", `{} {}`, pod, "left"},
		{"top-level null", `null`, pod, "read"},
		{"quantities", `{"spec":{"containers":[{"name":"a","resources":{"limits":{"cpu":"100m","memory":1024},"requests":{"cpu":0.5}}}]}}`, pod, "read"},
		{"bad quantity", `{"spec":{"containers":[{"resources":{"limits":{"cpu":"lots"}}}]}}`, pod, "left"},
		{"int-or-string", `{"spec":{"rules":[{"http":{"paths":[{"backend":{"service":{"port":{"number":80,"name":"x"}}}}]}}]}}`, newOf[networkingv1.Ingress](), "read"},
		{"empty containers", `{"spec":{"containers":[]},"metadata":{"finalizers":[]}}`, pod, "read"},
		{"rules", `{"rules":[{"verbs":["*"],"apiGroups":[""],"resources":["pods"]}],"aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"a":"b"}}]}}`, newOf[rbacv1.ClusterRole](), "read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := generatedOutcome(t, []byte(tc.json), tc.newV); got != tc.want {
				t.Errorf("%s, want %s", got, tc.want)
			}
		})
	}
}

// TestGeneratedDecodersReadFixtures: the generated decoders read the
// repository's fixtures of their kinds themselves (nearly all of them:
// they would be slow otherwise, not wrong), and each agrees with
// sigs.k8s.io/json (compare).
func TestGeneratedDecodersReadFixtures(t *testing.T) {
	read, total := 0, 0
	for _, fo := range fixtureObjects(t) {
		if !scheme.Scheme.Recognizes(fo.gvk) {
			continue
		}
		obj, err := scheme.Scheme.New(fo.gvk)
		if err != nil {
			t.Fatal(err)
		}
		if handled, _ := decodeGenerated(&parser{}, obj); !handled {
			continue
		}
		total++
		newV := func() any { o, _ := scheme.Scheme.New(fo.gvk); return o }
		compare(t, fo.json, newV)
		if _, err := decodeFast(fo.json, newV()); err == nil {
			read++
		} else {
			t.Logf("%s (%s): left to sigs.k8s.io/json: %v", fo.where, fo.gvk.Kind, err)
		}
	}
	t.Logf("%d of %d fixture objects of the generated kinds read by their generated decoder", read, total)
	if total < 200 || read < total*9/10 {
		t.Errorf("read %d of %d; want at least 200 objects, 90%% of them read", read, total)
	}
}
