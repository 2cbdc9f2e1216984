package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	sigsyaml "sigs.k8s.io/yaml"
)

// addOutputFlag declares -o with the formats a command prints (the first is the
// default), completes them, and refuses any other before the command does any work:
// one list per command serves the help, the completion and the check.
func addOutputFlag(cmd *cobra.Command, p *string, usage string, formats ...string) {
	cmd.Flags().StringVarP(p, "output", "o", formats[0], fmt.Sprintf("output format: %s%s", orList(formats), usage))
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
	next := cmd.PreRunE
	cmd.PreRunE = func(cmd *cobra.Command, args []string) error {
		if err := checkOutput(*p, formats...); err != nil {
			return err
		}
		if next != nil {
			return next(cmd, args)
		}
		return nil
	}
}

func checkOutput(output string, formats ...string) error {
	if slices.Contains(formats, output) {
		return nil
	}
	return fmt.Errorf("unknown output format %q (want %s)", output, orList(formats))
}

// orList says "a, b or c".
func orList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// printStructured prints v as JSON or YAML (by its JSON field names, as kubectl does)
// and reports whether output was one of those.
func printStructured(w io.Writer, output string, v any) (bool, error) {
	switch output {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return true, enc.Encode(v)
	case "yaml":
		b, err := sigsyaml.Marshal(v)
		if err != nil {
			return true, err
		}
		_, err = w.Write(b)
		return true, err
	}
	return false, nil
}
