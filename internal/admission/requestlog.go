package admission

import (
	"sync"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// lazyLogConstructor is the webhooks' LogConstructor: the logger that
// controller-runtime's Webhook.Handle builds for each request and puts
// into its context, with the request's fields (DefaultLogConstructor's:
// object, namespace, name, resource, user, requestID), built only when
// something is logged with it. DefaultLogConstructor adds the fields at
// once, and zap encodes them then: about 5 µs and 3 KiB per request
// (measured with the server's JSON logger), most requests logging
// nothing. The lines written are DefaultLogConstructor's, field for field.
//
// A logger with a verbosity of its own (base.V(n)) gets
// DefaultLogConstructor's at once.
func lazyLogConstructor(base logr.Logger, req *admission.Request) logr.Logger {
	if req == nil || base.GetSink() == nil || base.GetV() != 0 {
		return admission.DefaultLogConstructor(base, req)
	}
	return logr.New(&lazySink{base: base, namespace: req.Namespace, name: req.Name,
		resource: req.Resource, user: req.UserInfo.Username, uid: req.UID})
}

// lazySink is the sink of a lazyLogConstructor logger: it answers Enabled
// from base and builds DefaultLogConstructor's logger on the first line
// written or the first WithValues, WithName or WithCallDepth.
type lazySink struct {
	base logr.Logger
	// What DefaultLogConstructor reads of the request, copied: the
	// request itself is not kept.
	namespace, name, user string
	resource              metav1.GroupVersionResource
	uid                   types.UID

	once sync.Once
	// sink is DefaultLogConstructor's; direct is sink one call deeper,
	// for the lines lazySink writes itself (its Info and Error are a frame
	// between the caller and sink).
	sink, direct logr.LogSink
}

var (
	_ logr.LogSink          = (*lazySink)(nil)
	_ logr.CallDepthLogSink = (*lazySink)(nil)
)

func (s *lazySink) made() {
	s.once.Do(func() {
		req := &admission.Request{}
		req.Namespace, req.Name, req.Resource = s.namespace, s.name, s.resource
		req.UserInfo.Username, req.UID = s.user, s.uid
		s.sink = admission.DefaultLogConstructor(s.base, req).GetSink()
		s.direct = s.sink
		if cd, ok := s.sink.(logr.CallDepthLogSink); ok {
			s.direct = cd.WithCallDepth(1)
		}
	})
}

// Init does nothing: base's sink was initialized when base was made.
func (s *lazySink) Init(logr.RuntimeInfo) {}

func (s *lazySink) Enabled(level int) bool { return s.base.GetSink().Enabled(level) }

func (s *lazySink) Info(level int, msg string, kv ...any) {
	s.made()
	s.direct.Info(level, msg, kv...)
}

func (s *lazySink) Error(err error, msg string, kv ...any) {
	s.made()
	s.direct.Error(err, msg, kv...)
}

func (s *lazySink) WithValues(kv ...any) logr.LogSink {
	s.made()
	return s.sink.WithValues(kv...)
}

func (s *lazySink) WithName(name string) logr.LogSink {
	s.made()
	return s.sink.WithName(name)
}

func (s *lazySink) WithCallDepth(depth int) logr.LogSink {
	s.made()
	if cd, ok := s.sink.(logr.CallDepthLogSink); ok {
		return cd.WithCallDepth(depth)
	}
	return s.sink
}
