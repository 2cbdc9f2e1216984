package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"

	"github.com/shopset/shopset/appsetrefresh"
	"github.com/shopset/shopset/argoapps"
	"github.com/shopset/shopset/generator"
	"github.com/shopset/shopset/gitrepo"
	"github.com/shopset/shopset/installcheck"
	"github.com/shopset/shopset/installcheck/cluster"
	"github.com/shopset/shopset/inventory"
	"github.com/shopset/shopset/version"
)

const generatorExample = `  # Serve the platform's repository to Argo CD's plugin generator
  shopctl generator serve --repo https://git.example/platform.git --token-file /var/run/shopset/token

  # A private repository over SSH, refreshed on push webhooks
  shopctl generator serve --repo git@git.example:platform.git --token-file /var/run/shopset/token \
    --git-ssh-key-file /var/run/shopset/ssh/key --git-known-hosts-file /var/run/shopset/ssh/known_hosts \
    --webhook-secret-file /var/run/shopset/webhook

  # Rollouts: read Argo CD's Applications, and have the ApplicationSet controller ask
  # again as soon as a wave is released
  shopctl generator serve --repo https://git.example/platform.git --token-file /var/run/shopset/token \
    --applicationset-webhook http://argocd-applicationset-controller.argocd.svc:7000/api/webhook \
    --applicationset-webhook-secret-file /var/run/shopset/appset-webhook/secret`

func newGenerator(env Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "generator",
		Short:   "The Argo CD ApplicationSet plugin generator",
		Example: generatorExample,
	}
	group(cmd)
	cfg := generator.Config{}
	var listen, kubeconfig, argoNamespace, appsetWebhook, appsetWebhookSecret string
	serve := &cobra.Command{
		Use:   "serve",
		Short: "Serve ShopSets to Argo CD's plugin generator from the inventory in Git",
		Long: `serve answers Argo CD's plugin generator (POST /api/v1/getparams.execute) with one
parameter set per ShopSet, read from the inventory in Git and pinned per tier. It keeps a
mirror of each --repo, refreshes it every --refresh-interval and on push webhooks
(POST /api/webhook), and checks the remote for new commits when a call finds its view
older than --ref-check-ttl, so the call that follows a push sees the push.

It fails closed: a failure is never answered with an empty list. Endpoints:
  POST /api/v1/getparams.execute   Argo CD's plugin generator (bearer token)
  GET  /api/v1/status              snapshots, pinned revisions, held commits, errors (JSON)
  POST /api/webhook                GitHub and GitLab push events
  GET  /healthz, /readyz, /metrics`,
		Example: generatorExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg.Logger = slog.New(slog.NewJSONHandler(env.Stderr, nil))
			if appsetWebhook != "" {
				n, err := appsetrefresh.New(appsetWebhook, appsetWebhookSecret, version.UserAgent())
				if err != nil {
					return err
				}
				cfg.Refresher = n
			} else if appsetWebhookSecret != "" {
				return errors.New("--applicationset-webhook-secret-file needs --applicationset-webhook")
			}
			restCfg, ok, err := argoapps.RESTConfig(kubeconfig, env.Getenv)
			if err != nil {
				return err
			}
			if ok {
				apps, err := argoapps.New(restCfg, argoNamespace)
				if err != nil {
					return err
				}
				go apps.Run(cmd.Context())
				cfg.Applications = apps
				checkApplicationsServed(cfg.Logger, restCfg)
				// Until the cache is filled, answers that need it are errors (503): wait
				// for it a little, so the first snapshot has what it needs.
				syncCtx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
				synced := apps.WaitForSync(syncCtx)
				cancel()
				if synced {
					cfg.Logger.Info("reading Argo CD's Applications: the tier rewind guard and rollouts are on", "namespace", argoNamespace)
				} else {
					_, err := apps.List()
					cfg.Logger.Error("Argo CD's Applications cannot be read yet: answers that need them fail (503) until they can", "namespace", argoNamespace, "error", err)
				}
			} else {
				if cfg.Refresher != nil {
					cfg.Logger.Warn("--applicationset-webhook has no effect without Kubernetes access: there are no rollouts to follow")
				}
				cfg.Logger.Warn("no Kubernetes access (not in a cluster, no --kubeconfig): the tier rewind guard and rollouts are off: every ShopSet takes its tier's pinned revision at once")
			}
			srv, err := generator.New(cfg)
			if err != nil {
				return err
			}
			// Listen before serving, so a taken port fails here and not in the background.
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("listening on %s: %w", listen, err)
			}
			return srv.Serve(cmd.Context(), ln)
		},
	}
	f := serve.Flags()
	f.StringVar(&listen, "listen", ":8080", "address to serve on")
	f.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig to read Argo CD's Applications with (default: the pod's service account when in a cluster)")
	f.StringVar(&argoNamespace, "argocd-namespace", installcheck.DefaultNamespace, "namespace of Argo CD's Applications")
	f.StringVar(&appsetWebhook, "applicationset-webhook", "",
		"Argo CD's ApplicationSet webhook (e.g. http://argocd-applicationset-controller.argocd.svc:7000/api/webhook), sent a signed push event when a rollout's answer changes, so a wave follows at once")
	f.StringVar(&appsetWebhookSecret, "applicationset-webhook-secret-file", "", "file holding Argo CD's GitHub webhook secret (webhook.github.secret in argocd-secret) to sign those events with; while it is absent or empty they go unsigned, which an Argo CD without that secret accepts")
	f.StringArrayVar(&cfg.Repos, "repo", nil, "repository to serve, as Applications name it (repeatable; required)")
	f.StringVar(&cfg.TokenFile, "token-file", "", "file holding the bearer token Argo CD sends (required)")
	f.StringVar(&cfg.WebhookSecretFile, "webhook-secret-file", "", "file holding the push webhook secret (GitHub HMAC key, GitLab token); webhooks are refused without it")
	f.StringVar(&cfg.CacheDir, "cache-dir", "/var/cache/shopset", "directory for the repositories' mirrors")
	f.DurationVar(&cfg.RefreshInterval, "refresh-interval", generator.DefaultRefreshInterval, "how often every mirror is fetched")
	f.DurationVar(&cfg.RefCheckTTL, "ref-check-ttl", generator.DefaultRefCheckTTL, "how long a getparams call trusts the mirror before asking the remote for its heads")
	f.DurationVar(&cfg.GitTimeout, "git-timeout", generator.DefaultGitTimeout, "time limit of one fetch or snapshot")
	f.Float64Var(&cfg.MaxRemovalShare, "max-removal-share", generator.DefaultMaxRemovalShare,
		"share of ShopSets one inventory change may remove without a confirming \""+generator.ConfirmRemovalTrailer+": N\" commit trailer; 0 refuses every unconfirmed removal")
	f.DurationVar(&cfg.MaxStale, "max-stale", generator.DefaultMaxStale, "how long Git may fail while the last good snapshot is served; then getparams answers 503 so the ApplicationSet shows the outage")
	f.Int64Var(&cfg.MaxRequestBytes, "max-request-bytes", generator.DefaultMaxRequestBytes, "largest request body accepted")
	f.StringVar(&cfg.DefaultRevision, "default-revision", inventory.DefaultRevision, "inventory revision when a request names none")
	f.StringVar(&cfg.DefaultPath, "default-path", inventory.DefaultPath, "inventory path when a request names none")
	addGitCredentialFlags(f, &cfg.Credentials)
	cmd.AddCommand(serve)
	return cmd
}

type flagSet interface {
	StringVar(p *string, name, value, usage string)
}

func addGitCredentialFlags(f flagSet, c *gitrepo.Credentials) {
	f.StringVar(&c.Username, "git-username", "", "user name sent with --git-token-file over HTTPS (default \"git\")")
	f.StringVar(&c.UsernameFile, "git-username-file", "", "file holding the user name instead of --git-username (a Secret's username key)")
	f.StringVar(&c.TokenFile, "git-token-file", "", "file holding an HTTPS token or password for the repositories")
	f.StringVar(&c.SSHKeyFile, "git-ssh-key-file", "", "file holding an SSH private key for the repositories")
	f.StringVar(&c.KnownHostsFile, "git-known-hosts-file", "", "ssh known_hosts file for --git-ssh-key-file")
}

// checkApplicationsServed logs at once, with what to do, when the cluster does not serve
// Argo CD's Applications at the version the generator reads: Argo CD not installed, or a
// release shopset does not support. The generator goes on: its reader keeps trying, and
// reads them once they are served.
func checkApplicationsServed(log *slog.Logger, cfg *rest.Config) {
	cfg = rest.CopyConfig(cfg)
	cfg.Timeout = 10 * time.Second // an API server that hangs must not hold up the start
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		log.Warn("cannot check that the Kubernetes API serves Argo CD's Applications", "error", err)
		return
	}
	served, err := cluster.ServedVersions(disc, []string{argoapps.GVR.Resource})
	if err != nil {
		log.Warn("cannot check that the Kubernetes API serves Argo CD's Applications", "error", err)
		return
	}
	if e := installcheck.NotServed("Application", served[argoapps.GVR.Resource]); e != nil {
		log.Error(e.Message, "fix", e.Fix)
	}
}
