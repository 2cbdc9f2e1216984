// Package cli is shopctl's command tree. Each command decodes its flags, calls the
// package that does the work (inventory, render, plugin) and prints the result; it
// takes its streams and environment from [Env] so tests run it in-process.
//
//	code := cli.Execute(ctx, []string{"list", "-o", "json"}, cli.Env{Stdout: &out, Stderr: &errs, Getenv: os.Getenv})
package cli
