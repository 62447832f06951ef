package main

import (
	"github.com/spf13/cobra"

	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/vap"
)

func newVAPCmd() *cobra.Command {
	var configPath, namespace string
	cmd := &cobra.Command{
		Use:   "vap",
		Short: "Print the API server's fallback policies (ValidatingAdmissionPolicies and bindings)",
		Long: `Print, as one YAML stream, a ValidatingAdmissionPolicy and a
ValidatingAdmissionPolicyBinding (admissionregistration.k8s.io/v1) for each
rule check that needs no cluster lookup, generated from the configuration.
They run inside the API server and keep denying what they cover while the
webhook is down. Apply them next to the webhook (deploy/ includes them as
the component components/api-server-fallback), and regenerate them with the
configuration the webhook runs with:

  webhook vap --config config.yaml | kubectl apply -f -

` + "`webhook rules`" + ` says which rules have such a fallback.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(configPath)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			pairs, err := vap.Generate(cfg, vap.Options{Namespace: namespace})
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			return vap.Write(cmd.OutOrStdout(), pairs)
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "Guardrails configuration file (default: the embedded configuration)")
	cmd.Flags().StringVar(&namespace, "namespace", vap.DefaultNamespace, "the webhook's own namespace, never judged")
	return cmd
}
