// Package e2e holds the end-to-end suite of Guardrails: a real etcd and
// kube-apiserver (internal/sandbox, with the flags of controller-runtime's
// envtest),
// the real `webhook serve` binary registered with the webhook
// configurations rendered from deploy/, and every user-facing promise of
// DESIGN.md checked with the real kubectl.
//
// The tests carry the build tag e2e; run them with `make e2e`, or
//
//	KUBEBUILDER_ASSETS=$PWD/bin/k8s go test -tags e2e ./e2e/ -v -count=1
//
// `make control-plane` builds the kube-apiserver and etcd binaries into
// bin/k8s when they are missing. Without them (or without kubectl in PATH)
// the suite says why and skips, or fails when CI is set.
package e2e
