package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/shopset/shopset/version"
)

func newVersion(env Env) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print shopctl's version, commit and build date",
		Long: `version prints the build of shopctl: its version, the commit it was built from and
that commit's date, and the Go version.`,
		Example: `  shopctl version
  shopctl version -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info := version.Get()
			if ok, err := printStructured(env.Stdout, output, info); ok {
				return err
			}
			modified := ""
			if info.Modified {
				modified = " (modified)"
			}
			_, err := fmt.Fprintf(env.Stdout, "shopctl %s\ncommit %s%s\ndate %s\n%s\n",
				info.Version, info.Commit, modified, info.Date, info.GoVersion)
			return err
		},
	}
	addOutputFlag(cmd, &output, "", "text", "json", "yaml")
	return cmd
}
