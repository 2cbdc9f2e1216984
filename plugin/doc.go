// Package plugin is shopset's Argo CD Config Management Plugin: the code behind
// `shopctl plugin generate` and the plugin.yaml the sidecar runs it from.
//
// Argo CD runs the generate command with the working directory at the Application's
// source path in the checkout it streamed, and passes the ShopSet through the
// Application's plugin env (ARGOCD_ENV_SHOPSET_*) or its plugin parameters
// (ARGOCD_APP_PARAMETERS). Nothing else of the environment is read: the sidecar's own
// variables are not the ShopSet's. Manifests go to stdout and only on success.
//
// A checkout with policies/ has its manifests checked (package policy): a deny fails the
// render, so Argo CD shows the violations and applies nothing; warnings go to stderr.
//
//	err := plugin.Generate(ctx, os.Getenv, ".", os.Stdout, os.Stderr)
package plugin
