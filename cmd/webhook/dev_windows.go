package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newDevCmd: the sandbox runs kube-apiserver and etcd in process groups
// of their own and stops them with signals to those groups, which Windows
// does not have.
func newDevCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "dev",
		Short: "Run a local sandbox (not on Windows: use WSL2)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return &exitError{code: 2, err: errors.New("webhook dev needs Linux or macOS (on Windows: WSL2)")}
		},
	}
}
