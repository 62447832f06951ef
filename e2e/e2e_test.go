//go:build e2e

package e2e

import "testing"

// TestE2E runs the scenarios in three phases on the one sandbox:
//
//  1. quiet: what measures the webhook's metrics as a whole (the webhook
//     is not called for an unlabeled namespace) runs alone;
//  2. parallel: every independent scenario at once, each in namespaces
//     and with names of its own;
//  3. disruptive, one after the other: restarting the API server and
//     stopping the webhook, which every other test would feel.
//
// Run one scenario with e.g. -run 'TestE2E/parallel/ingress-conflict'.
func TestE2E(t *testing.T) {
	need(t)
	t.Run("unlabeled-namespace-not-called", testUnlabeledNotCalled)
	t.Run("parallel", func(t *testing.T) {
		t.Run("examples", testExamples)
		t.Run("mutation", testMutation)
		t.Run("update-preexisting", testUpdatePreexisting)
		t.Run("cluster-admin-binding", testClusterAdminBinding)
		t.Run("ingress-conflict", testIngressConflict)
		t.Run("ingress-ownership", testIngressOwnership)
		t.Run("namespace-mode-label", testNamespaceModeLabel)
		t.Run("tenant-attacks", testTenantAttacks)
		t.Run("deploy", testDeploy)
	})
	t.Run("apiserver-restart", testAPIServerRestart)
	t.Run("webhook-down", testWebhookDown)
}
