package audit

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/guardrails-dev/guardrails/internal/policy"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// nodeUIDs answers, for policy.StoredOrigin, the UID of the Node a pod
// that claims to be a mirror pod names: one GET per node a run asks about
// (only such pods make it ask; usually the control-plane nodes), kept for
// the run. Its memory is one UID per node asked about.
type nodeUIDs struct {
	ctx    context.Context
	client kubernetes.Interface
	// byName holds the answers; "" for a Node that does not exist or
	// could not be read.
	byName map[string]types.UID
	// err is the first error other than not found (forbidden: the
	// webhook's role lacks get on nodes); unverified counts the pods that
	// claimed to be mirror pods while Nodes could not be read.
	err        error
	unverified int
}

func newNodeUIDs(ctx context.Context, client kubernetes.Interface) *nodeUIDs {
	return &nodeUIDs{ctx: ctx, client: client, byName: map[string]types.UID{}}
}

func (n *nodeUIDs) uid(name string) (types.UID, bool) {
	uid, ok := n.byName[name]
	if !ok {
		node, err := n.client.CoreV1().Nodes().Get(n.ctx, name, metav1.GetOptions{})
		switch {
		case err == nil:
			uid = node.UID
		case !apierrors.IsNotFound(err) && n.err == nil:
			n.err = fmt.Errorf("get node %s: %w", name, err)
		}
		n.byName[name] = uid
	}
	if uid == "" && n.err != nil {
		n.unverified++
	}
	return uid, uid != ""
}

// origin is what obj proves about its origin (policy.StoredOrigin).
func (n *nodeUIDs) origin(obj runtime.Object) rules.Origin {
	return policy.StoredOrigin(obj, n.uid)
}
