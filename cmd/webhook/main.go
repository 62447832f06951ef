// Command webhook is the one Guardrails binary: `serve` runs the admission
// server, `check` checks manifests offline for CI, `audit` judges what a
// live cluster already holds, `dev` runs a local sandbox, `rules` prints
// the rule catalogue, and `vap` prints the API server's fallback policies.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

// exitError carries a process exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "webhook",
		Short:         "Guardrails: admission rules for the misconfigurations behind most cluster postmortems",
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newRulesCmd())
	root.AddCommand(newCheckCmd())
	root.AddCommand(newAuditCmd())
	root.AddCommand(newServeCmd())
	root.AddCommand(newDevCmd())
	root.AddCommand(newVAPCmd())
	return root
}

func main() {
	os.Exit(run(os.Args[1:]))
}

// run executes the command line and returns the exit code: 0 success, 1
// deny findings (check), 2 bad input or usage.
func run(args []string) int {
	cmd := newRootCmd()
	cmd.SetArgs(args)
	err := cmd.Execute()
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(os.Stderr, "webhook:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(os.Stderr, "webhook:", err)
	return 2
}
