package review

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// MaxBodyBytes is controller-runtime's limit of an AdmissionReview body
// (two objects of at most 3 MiB each and the rest): a body of this size
// or more is answered 413 Request Entity Too Large.
const MaxBodyBytes = 7 << 20

// Handler serves Webhook as controller-runtime's Webhook.ServeHTTP does,
// reading the review with Decode: the same checks (an empty body, a body
// of MaxBodyBytes or more, a Content-Type other than application/json),
// the same admission.Request for Webhook.Handle (which recovers panics,
// puts the request's logger in the context and completes the response:
// uid, status code, patch and patchType), and the same JSON answer, in the
// review's apiVersion. Every request Decode does not read (the checks
// above, a body that is not a v1 or v1beta1 AdmissionReview in JSON, a
// read error) goes to Webhook.ServeHTTP with the same body, which answers
// it as it always does (400 or 413 with its message).
//
// The body's buffer is used again once the answer is written (bodies): a
// handler must not keep the request's raw objects (Object.Raw,
// OldObject.Raw, Options.Raw) past its Handle, as none of Guardrails' do.
type Handler struct {
	// Webhook is controller-runtime's webhook; StandaloneWebhook has given
	// it its logger.
	Webhook *admission.Webhook
	// Log is the logger given to StandaloneWebhook (the webhook's
	// logger), for the V(5) logs of received requests and written
	// responses that Webhook.ServeHTTP writes; zero: controller-runtime's
	// default.
	Log logr.Logger

	logOnce sync.Once
	log     logr.Logger // Log, or controller-runtime's default
}

var _ http.Handler = (*Handler)(nil)

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody || r.Header.Get("Content-Type") != "application/json" {
		h.Webhook.ServeHTTP(w, r)
		return
	}
	buf := bodies.Get().(*[]byte)
	body, err := readBody(r.Body, r.ContentLength, *buf)
	defer func() {
		// Nothing keeps the body past the answer (see bodies).
		if cap(body) <= maxPooledBody {
			*buf = body[:0]
		}
		bodies.Put(buf)
	}()
	if err != nil || int64(len(body)) >= MaxBodyBytes {
		// Webhook.ServeHTTP reads the same bytes, and the same error
		// or the rest of the body, and answers as usual.
		var rest io.Reader = r.Body
		if err != nil {
			rest = errReader{err}
		}
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), rest))
		h.Webhook.ServeHTTP(w, r)
		return
	}
	req := admission.Request{}
	gvk, err := Decode(body, &req.AdmissionRequest)
	if err != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.Webhook.ServeHTTP(w, r)
		return
	}
	ctx := r.Context()
	if h.Webhook.WithContextFunc != nil {
		ctx = h.Webhook.WithContextFunc(ctx, r)
	}
	log := h.logger()
	if log.V(5).Enabled() {
		logged := req // only this copy escapes, not every request
		h.requestLogger(log, &logged).V(5).Info("received request")
	}
	resp := h.Webhook.Handle(ctx, req)
	var tm metav1.TypeMeta
	tm.SetGroupVersionKind(gvk)
	write(w, log, tm, &resp.AdmissionResponse)
}

// logger is Log, or without one the logger Webhook.ServeHTTP would use,
// made once as controller-runtime makes it.
func (h *Handler) logger() logr.Logger {
	h.logOnce.Do(func() {
		h.log = h.Log
		if h.log.GetSink() == nil {
			h.log = logf.Log.WithName("admission")
		}
	})
	return h.log
}

func (h *Handler) requestLogger(base logr.Logger, req *admission.Request) logr.Logger {
	if h.Webhook.LogConstructor != nil {
		return h.Webhook.LogConstructor(base, req)
	}
	return admission.DefaultLogConstructor(base, req)
}

// write writes the review of tm and res as controller-runtime does:
// encoding/json, one line, and on a write error one attempt at a 500
// answer. The bytes come from appendReview when it writes the review,
// else from encoding/json, which gets a copy of *res: res itself stays
// where the caller has it (on its stack), as escape analysis sees the
// fields of a struct as one.
func write(w io.Writer, log logr.Logger, tm metav1.TypeMeta, res *admissionv1.AdmissionResponse) {
	var err error
	ar := admissionv1.AdmissionReview{TypeMeta: tm, Response: res}
	buf := answers.Get().(*[]byte)
	if b, ok := appendReview((*buf)[:0], &ar); ok {
		_, err = w.Write(b)
		if cap(b) <= maxPooledAnswer {
			*buf = b
			answers.Put(buf)
		}
	} else {
		answers.Put(buf)
		c := *res
		err = json.NewEncoder(w).Encode(admissionv1.AdmissionReview{TypeMeta: tm, Response: &c})
	}
	if err != nil {
		log.Error(err, "unable to encode and write the response")
		serverError := admission.Errored(http.StatusInternalServerError, err)
		if err = json.NewEncoder(w).Encode(admissionv1.AdmissionReview{Response: &serverError.AdmissionResponse}); err != nil {
			log.Error(err, "still unable to encode and write the InternalServerError response")
		}
		return
	}
	if log.V(5).Enabled() {
		if res.Result != nil {
			log = log.WithValues("code", res.Result.Code, "reason", res.Result.Reason, "message", res.Result.Message)
		}
		log.V(5).Info("wrote response", "requestID", res.UID, "allowed", res.Allowed)
	}
}

// answers holds buffers for write, as encoding/json pools its encoders'
// buffers; one that grew past maxPooledAnswer (a large patch) is dropped.
var answers = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

const maxPooledAnswer = 64 << 10

// bodies holds the buffers ServeHTTP reads request bodies into, as
// answers holds those of the answers: a review's body was the largest
// allocation of a request after its object. Nothing keeps a body, or a
// slice of it, past the answer: Decode copies every string it keeps; the
// raw objects it leaves in the AdmissionRequest (Object.Raw, OldObject.Raw,
// Options.Raw) live as long as the request, whose handling never goes on
// in another goroutine; the objects' decoders copy what they keep
// (strings, RawExtension, FieldsV1). A buffer that grew past
// maxPooledBody (a large object) is dropped, not kept for every request.
var bodies = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledBody = 64 << 10

// readBody reads r up to MaxBodyBytes as io.ReadAll over
// io.LimitReader(r, MaxBodyBytes) does, into buf when it has room, else
// into one buffer of the announced size when there is one (io.ReadAll
// grows its buffer from 512 bytes, copying as it goes).
func readBody(r io.Reader, contentLength int64, buf []byte) ([]byte, error) {
	n := int64(512)
	if contentLength > 0 {
		n = min(contentLength, MaxBodyBytes) + 1 // room to read EOF without growing
	}
	b := buf[:0]
	if int64(cap(b)) < n {
		b = make([]byte, 0, n)
	}
	for len(b) < MaxBodyBytes {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		m, err := r.Read(b[len(b):min(cap(b), MaxBodyBytes)])
		b = b[:len(b)+m]
		if err != nil {
			if err == io.EOF {
				return b, nil
			}
			return b, err
		}
	}
	return b, nil
}

// errReader fails every read with err.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
