package appsetrefresh_test

// The events are checked by Argo CD's own ApplicationSet webhook handler
// (applicationset/webhook of Argo CD v2.14), over a fake Kubernetes client holding
// ApplicationSets: the end-to-end suite checks the same on a running controller.

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/argoproj/argo-cd/v2/applicationset/generators"
	"github.com/argoproj/argo-cd/v2/applicationset/webhook"
	"github.com/argoproj/argo-cd/v2/common"
	"github.com/argoproj/argo-cd/v2/pkg/apis/application/v1alpha1"
	argosettings "github.com/argoproj/argo-cd/v2/util/settings"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kubefake "k8s.io/client-go/kubernetes/fake"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/shopset/shopset/appsetrefresh"
)

const namespace = "argocd"

// argoCD is Argo CD's ApplicationSet webhook with Argo CD's GitHub secret, serving over
// HTTP, and the ApplicationSets it may refresh: one with a plugin generator, two with a
// Git generator on the same repository (its main branch, its default branch).
func argoCD(t *testing.T, githubSecret string) (*httptest.Server, client.Client) {
	t.Helper()
	scheme := runtime.NewScheme()
	require.NoError(t, v1alpha1.AddToScheme(scheme))
	plugin := &v1alpha1.ApplicationSet{
		ObjectMeta: metav1.ObjectMeta{Name: "shopsets", Namespace: namespace},
		Spec: v1alpha1.ApplicationSetSpec{Generators: []v1alpha1.ApplicationSetGenerator{{
			Plugin: &v1alpha1.PluginGenerator{ConfigMapRef: v1alpha1.PluginConfigMapRef{Name: "shopset-generator"}},
		}}},
	}
	git := &v1alpha1.ApplicationSet{
		ObjectMeta: metav1.ObjectMeta{Name: "git", Namespace: namespace},
		Spec: v1alpha1.ApplicationSetSpec{Generators: []v1alpha1.ApplicationSetGenerator{{
			Git: &v1alpha1.GitGenerator{RepoURL: "https://git.shop.example/platform.git", Revision: "main"},
		}}},
	}
	head := git.DeepCopy()
	head.Name, head.Spec.Generators[0].Git.Revision = "git-head", ""
	fc := fake.NewClientBuilder().WithScheme(scheme).WithObjects(plugin, git, head).Build()
	kube := kubefake.NewClientset(
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: common.ArgoCDConfigMapName, Namespace: namespace,
			Labels: map[string]string{"app.kubernetes.io/part-of": "argocd"}}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: common.ArgoCDSecretName, Namespace: namespace,
			Labels: map[string]string{"app.kubernetes.io/part-of": "argocd"}},
			Data: map[string][]byte{"server.secretkey": nil, "webhook.github.secret": []byte(githubSecret)}},
	)
	settings := argosettings.NewSettingsManager(context.Background(), kube, namespace)
	h, err := webhook.NewWebhookHandler(namespace, 2, settings, fc, map[string]generators.Generator{})
	require.NoError(t, err)
	srv := httptest.NewServer(http.HandlerFunc(h.Handler))
	t.Cleanup(srv.Close)
	return srv, fc
}

// refreshed reports whether the ApplicationSet carries Argo CD's refresh annotation.
func refreshed(t *testing.T, c client.Client, name string) bool {
	t.Helper()
	var as v1alpha1.ApplicationSet
	require.NoError(t, c.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: name}, &as))
	return as.RefreshRequired()
}

func secretFile(t *testing.T, secret string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(path, []byte(secret+"\n"), 0o600))
	return path
}

func TestRefresh(t *testing.T) {
	for _, repo := range []string{
		"https://git.shop.example/platform.git",
		"git@git.shop.example:platform.git",
		"ssh://git@git.shop.example:2222/platform.git",
		"file:///srv/git/platform.git",
		"/srv/git/platform.git",
	} {
		t.Run(repo, func(t *testing.T) {
			srv, fc := argoCD(t, "s3cret")
			n, err := appsetrefresh.New(srv.URL+"/api/webhook", secretFile(t, "s3cret"), "shopset/test")
			require.NoError(t, err)
			require.NoError(t, n.Refresh(context.Background(), repo))
			// Argo CD handles the event on a worker after answering.
			require.Eventually(t, func() bool { return refreshed(t, fc, "shopsets") }, 10*time.Second, 10*time.Millisecond,
				"the plugin ApplicationSet is refreshed")
			assert.False(t, refreshed(t, fc, "git"), "a Git generator does not follow the event's ref")
			assert.False(t, refreshed(t, fc, "git-head"), "the event is not a push to the default branch")
		})
	}
}

// An event signed with another secret is dropped by Argo CD: nothing is refreshed, and
// the error says what Argo CD answered.
func TestRefreshWrongSecret(t *testing.T) {
	srv, fc := argoCD(t, "s3cret")
	n, err := appsetrefresh.New(srv.URL+"/api/webhook", secretFile(t, "other"), "")
	require.NoError(t, err)
	err = n.Refresh(context.Background(), "https://git.shop.example/platform.git")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "400 Bad Request")
	assert.Contains(t, err.Error(), "webhook.github.secret of argocd-secret")
	// Give a wrongly accepted event the time to be handled before looking.
	time.Sleep(200 * time.Millisecond)
	assert.False(t, refreshed(t, fc, "shopsets"))
}

func TestNewBadInput(t *testing.T) {
	good := secretFile(t, "s3cret")
	big := filepath.Join(t.TempDir(), "big")
	require.NoError(t, os.WriteFile(big, []byte(strings.Repeat("x", 5000)), 0o600))
	for _, tc := range []struct{ url, secret, want string }{
		{"argocd-applicationset-controller:7000", good, "want an http or https URL"},
		{"ftp://argocd/api/webhook", good, "want an http or https URL"},
		{"http://user:pw@argocd:7000/api/webhook", good, "the URL carries credentials"},
		{"http://argocd:7000/api/webhook", big, "larger than 4096 bytes"},
		{"http://argocd:7000/api/webhook", t.TempDir(), "is a directory"},
	} {
		_, err := appsetrefresh.New(tc.url, tc.secret, "")
		require.Error(t, err, tc.url)
		assert.Contains(t, err.Error(), tc.want)
		assert.NotContains(t, err.Error(), "pw@", "credentials are not repeated")
	}
}

// A controller that does not answer is an error within the timeout, not a hang.
func TestRefreshUnreachable(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
	}))
	defer srv.Close()
	defer close(release)
	n, err := appsetrefresh.New(srv.URL, secretFile(t, "s3cret"), "")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err = n.Refresh(ctx, "https://git.shop.example/platform.git")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "context deadline exceeded")
}

// Argo CD checks signatures only when it has a GitHub secret: without one (the optional
// key absent, so no file, or an empty one) events go unsigned and are accepted; an Argo
// CD that has one refuses them.
func TestRefreshUnsigned(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	empty := filepath.Join(t.TempDir(), "empty")
	require.NoError(t, os.WriteFile(empty, []byte("\n"), 0o600))
	for _, file := range []string{"", missing, empty} {
		srv, fc := argoCD(t, "")
		n, err := appsetrefresh.New(srv.URL+"/api/webhook", file, "")
		require.NoError(t, err)
		require.NoError(t, n.Refresh(context.Background(), "https://git.shop.example/platform.git"))
		require.Eventually(t, func() bool { return refreshed(t, fc, "shopsets") }, 10*time.Second, 10*time.Millisecond)
	}
	srv, fc := argoCD(t, "s3cret")
	n, err := appsetrefresh.New(srv.URL+"/api/webhook", missing, "")
	require.NoError(t, err)
	err = n.Refresh(context.Background(), "https://git.shop.example/platform.git")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "400 Bad Request")
	assert.False(t, refreshed(t, fc, "shopsets"))
}
