// Package argoapps reads Argo CD's Applications through the Kubernetes API, read only:
// a watch cache (a client-go informer) of the Applications in Argo CD's namespace, each
// a ShopSet's by its shopset.io/name label (or, without it, by its name), so the
// generator knows what each ShopSet's
// Application runs without asking the API server on every request. It never writes, and
// it keeps argo-cd's own packages out of the binary: Applications are read as
// unstructured objects.
//
//	r, err := argoapps.New(restConfig, "argocd")
//	go r.Run(ctx)
//	apps, err := r.List() // an error until the cache has synced, or while it cannot
package argoapps

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/shopset/shopset/installcheck"
	"github.com/shopset/shopset/rollout"
)

// GVR is the resource of Argo CD's Applications.
var GVR = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "applications"}

// Labels the ApplicationSet templates put on a ShopSet's Application.
const (
	LabelName = "shopset.io/name"
	// NamePrefix starts a ShopSet's Application's name (shopset-<name>), as the example
	// ApplicationSets name them.
	NamePrefix = "shopset-"
	// RoutingNamePrefix starts a routing Application's name (shopset-routing-<cluster>):
	// not a ShopSet's.
	RoutingNamePrefix = "shopset-routing-"
	LabelTier         = "shopset.io/tier"
)

// ErrNotSynced is the error of a List before the cache has synced, or while its watch
// fails and the cache has not moved past the failure: the caller must not act on it.
var ErrNotSynced = errors.New("the Applications cache is not in sync with the Kubernetes API")

// App is what the generator reads of one ShopSet's Application.
type App struct {
	// Name is the Application's name; ShopSet and Tier its shopset.io labels.
	Name, ShopSet, Tier string
	// TargetRevision is spec.source.targetRevision: the revision the generator gave it.
	TargetRevision string
	// SyncRevision and SyncStatus are status.sync: the revision it is synced to and
	// whether it is in sync (Synced, OutOfSync, Unknown).
	SyncRevision, SyncStatus string
	// Health is status.health.status (Healthy, Progressing, Degraded, ...), HealthSince
	// when it last changed (status.health.lastTransitionTime, set by Argo CD v2.14 and
	// later), and HealthMessage what Argo CD says of it: the Application's own message,
	// or else the first resource's that is not Healthy ("Deployment/web: ...").
	Health        string
	HealthSince   time.Time
	HealthMessage string
	// SyncedAt is when its last sync operation finished (status.operationState).
	SyncedAt time.Time
	// History lists the revisions it was deployed at, oldest first (status.history).
	History []string
	// Problems are what could not be read of it (a malformed time), left unknown.
	Problems []string
}

// FromUnstructured reads an Application object.
func FromUnstructured(u *unstructured.Unstructured) (App, error) {
	str := func(fields ...string) string {
		s, _, _ := unstructured.NestedString(u.Object, fields...)
		return s
	}
	a := App{
		Name:           u.GetName(),
		ShopSet:        u.GetLabels()[LabelName],
		Tier:           u.GetLabels()[LabelTier],
		TargetRevision: str("spec", "source", "targetRevision"),
		SyncRevision:   str("status", "sync", "revision"),
		SyncStatus:     str("status", "sync", "status"),
		Health:         str("status", "health", "status"),
	}
	if a.ShopSet == "" {
		// A label taken off by hand must not make the ShopSet look as if it had no
		// Application (which would release it at once): its name says whose it is.
		name, ok := strings.CutPrefix(a.Name, NamePrefix)
		if !ok || name == "" || strings.HasPrefix(a.Name, RoutingNamePrefix) {
			return App{}, fmt.Errorf("application %q has no %s label and no %s name", a.Name, LabelName, NamePrefix)
		}
		a.ShopSet = name
		a.Problems = append(a.Problems, fmt.Sprintf("no %s label: taken for ShopSet %q by its name", LabelName, name))
	}
	for _, f := range []struct {
		dst  *time.Time
		path []string
	}{
		{&a.SyncedAt, []string{"status", "operationState", "finishedAt"}},
		{&a.HealthSince, []string{"status", "health", "lastTransitionTime"}},
	} {
		if t := str(f.path...); t != "" {
			at, err := time.Parse(time.RFC3339, t)
			if err != nil {
				// Left unknown: a rollout then waits (no soak is over, no timeout runs)
				// rather than acting on a time it cannot read.
				a.Problems = append(a.Problems, fmt.Sprintf("%s: %v", strings.Join(f.path, "."), err))
				continue
			}
			*f.dst = at
		}
	}
	a.HealthMessage = str("status", "health", "message")
	if a.HealthMessage == "" && a.Health != "" && a.Health != "Healthy" {
		resources, _, _ := unstructured.NestedSlice(u.Object, "status", "resources")
		for _, r := range resources {
			m, ok := r.(map[string]any)
			if !ok {
				continue
			}
			status, _, _ := unstructured.NestedString(m, "health", "status")
			msg, _, _ := unstructured.NestedString(m, "health", "message")
			if status != "" && status != "Healthy" && msg != "" {
				kind, _ := m["kind"].(string)
				name, _ := m["name"].(string)
				a.HealthMessage = fmt.Sprintf("%s/%s: %s", kind, name, msg)
				break
			}
		}
	}
	history, _, _ := unstructured.NestedSlice(u.Object, "status", "history")
	for _, h := range history {
		if m, ok := h.(map[string]any); ok {
			if rev, ok := m["revision"].(string); ok {
				a.History = append(a.History, rev)
			}
		}
	}
	return a, nil
}

// Reader is the watch cache. It is safe for concurrent use.
type Reader struct {
	informer cache.SharedIndexInformer
	// probe asks the API server for one Application: a watch can stay open while the
	// API server is cut off and report nothing, so the cache counts as current only while
	// the API server answers (see Run).
	probe func(context.Context) error
	// namespace is where the Applications are read, for what errors say to do.
	namespace string

	mu       sync.Mutex
	watchErr error
	// errVersion is the cache's resource version when the watch failed: the cache is
	// current again once it has listed or watched past it.
	errVersion string
	// probeErr is why the last probe failed; nil after one that answered.
	probeErr error
}

// Probing: how often the API server is asked, and how long an answer may take. A cache
// is not trusted past ProbeInterval + ProbeTimeout after the API server stopped answering.
const (
	ProbeInterval = 2 * time.Second
	ProbeTimeout  = 3 * time.Second
)

// New makes a Reader of the Applications in namespace; nothing is read until Run.
func New(cfg *rest.Config, namespace string) (*Reader, error) {
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	return NewWithClient(client, namespace), nil
}

// NewWithClient is New with a dynamic client given.
func NewWithClient(client dynamic.Interface, namespace string) *Reader {
	// Every Application of the namespace, not only labelled ones: see FromUnstructured.
	f := dynamicinformer.NewFilteredDynamicSharedInformerFactory(client, 10*time.Minute, namespace, nil)
	r := &Reader{informer: f.ForResource(GVR).Informer(), namespace: namespace, probe: func(ctx context.Context) error {
		_, err := client.Resource(GVR).Namespace(namespace).List(ctx, metav1.ListOptions{Limit: 1})
		return err
	}}
	_ = r.informer.SetWatchErrorHandler(func(_ *cache.Reflector, err error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.watchErr, r.errVersion = explain(err, namespace, generatorRBAC), r.informer.LastSyncResourceVersion()
	})
	return r
}

// explain adds what to do to a failure to read Applications that the install causes:
// Argo CD's Application CRD not served at the version shopset reads, or RBAC not letting
// the reader list them (forbidden says what to do then).
func explain(err error, namespace, forbidden string) error {
	switch {
	case apierrors.IsNotFound(err):
		return fmt.Errorf("%w: the Kubernetes API serves no Applications at %s: install Argo CD first (shopset supports %s); `shopctl check -n %s` says what else the install lacks",
			err, GVR.GroupVersion(), strings.TrimPrefix(installcheck.Supported, "Argo CD "), namespace)
	case apierrors.IsForbidden(err):
		return fmt.Errorf("%w: %s", err, fmt.Sprintf(forbidden, namespace))
	}
	return err
}

// What to do when RBAC forbids listing Applications in a namespace (%s), to the
// generator and to a person.
const (
	generatorRBAC = "the generator may not list Applications in namespace %s: apply manifests/ there (the generator's Role and RoleBinding)"
	personRBAC    = "your kubeconfig's user may not list Applications in namespace %s: use one that may (--kubeconfig, --context)"
)

// Run fills and keeps the cache until ctx ends, and asks the API server every
// ProbeInterval whether it still answers.
func (r *Reader) Run(ctx context.Context) {
	go r.probeLoop(ctx)
	r.informer.Run(ctx.Done())
}

func (r *Reader) probeLoop(ctx context.Context) {
	t := time.NewTicker(ProbeInterval)
	defer t.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, ProbeTimeout)
		err := r.probe(pctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		r.mu.Lock()
		switch {
		case apierrors.IsNotFound(err), apierrors.IsForbidden(err):
			err = explain(err, r.namespace, generatorRBAC) // it answers, with why not
		case err != nil:
			err = fmt.Errorf("the Kubernetes API does not answer: %w", err)
		}
		r.probeErr = err
		r.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// WaitForSync waits until the cache has been filled once, or ctx ends.
func (r *Reader) WaitForSync(ctx context.Context) bool {
	return cache.WaitForCacheSync(ctx.Done(), r.informer.HasSynced)
}

// List returns every ShopSet Application in the cache. It fails with ErrNotSynced
// before the cache has synced (and returns nil, saying why when a read failed), and
// while the watch is failing, when it also returns what the cache last held (never nil):
// a cache that may be behind must not be taken for what Argo CD has now, but it says
// where things were.
func (r *Reader) List() ([]App, error) {
	if !r.informer.HasSynced() {
		if err := r.current(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNotSynced, err)
		}
		return nil, ErrNotSynced
	}
	out := r.list()
	if err := r.current(); err != nil {
		return out, fmt.Errorf("%w: %w", ErrNotSynced, err)
	}
	return out, nil
}

// Version changes whenever the cache does (the last resource version it saw), and when
// it stops or starts being current.
func (r *Reader) Version() string {
	v := r.informer.LastSyncResourceVersion()
	if r.current() != nil {
		v += " (not current)"
	}
	return v
}

func (r *Reader) list() []App {
	out := []App{}
	for _, o := range r.informer.GetStore().List() {
		u, ok := o.(*unstructured.Unstructured)
		if !ok {
			continue
		}
		a, err := FromUnstructured(u)
		if err != nil {
			continue // not a ShopSet's Application
		}
		out = append(out, a)
	}
	return out
}

// current is the watch's failure while the cache has not moved past it: the API server
// unreachable, or Applications not readable. A failed watch is retried by the informer;
// a list or watch that succeeds moves the resource version on (the API server's version
// moves with any write in the cluster), and that ends the failure.
func (r *Reader) current() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.probeErr != nil {
		return r.probeErr
	}
	if r.watchErr == nil {
		return nil
	}
	if v := r.informer.LastSyncResourceVersion(); v != "" && v != r.errVersion {
		r.watchErr = nil
		return nil
	}
	return r.watchErr
}

// RESTConfig finds how to reach the Kubernetes API: the kubeconfig file when one is
// given, else the pod's own service account when running in a cluster; ok is false when
// there is neither (the generator then runs without reading Applications).
func RESTConfig(kubeconfig string, getenv func(string) string) (cfg *rest.Config, ok bool, err error) {
	switch {
	case kubeconfig != "":
		cfg, err = clientcmd.BuildConfigFromFlags("", kubeconfig)
	case getenv("KUBERNETES_SERVICE_HOST") != "":
		cfg, err = rest.InClusterConfig()
	default:
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("kubernetes configuration: %w", err)
	}
	cfg.UserAgent = "shopset-generator"
	return cfg, true, nil
}

// Index maps each ShopSet to what its Application reports, as package rollout reads it.
// Two Applications claiming one ShopSet are acted on as neither Synced nor Healthy, at
// the revision of the first by name: the ShopSet keeps it, and holds back the waves after
// it, until there is one again. Both cases are noted.
func Index(apps []App) (map[string]rollout.App, []string) {
	out := make(map[string]rollout.App, len(apps))
	owner := map[string]string{}
	var notes []string
	sorted := slices.Clone(apps)
	slices.SortFunc(sorted, func(a, b App) int { return strings.Compare(a.Name, b.Name) })
	for _, a := range sorted {
		for _, p := range a.Problems {
			notes = append(notes, fmt.Sprintf("Application %q: %s: left unknown", a.Name, p))
		}
		if first, dup := owner[a.ShopSet]; dup {
			notes = append(notes, fmt.Sprintf("Applications %q and %q both claim ShopSet %q: it is held where %q is", first, a.Name, a.ShopSet, first))
			held := out[a.ShopSet]
			held.Synced, held.Health, held.HealthySince = false, "Unknown", time.Time{}
			out[a.ShopSet] = held
			continue
		}
		owner[a.ShopSet] = a.Name
		out[a.ShopSet] = a.Rollout()
	}
	return out, notes
}

// Rollout is what package rollout reads of the Application.
func (a App) Rollout() rollout.App {
	return rollout.App{
		Given: a.TargetRevision, Revision: a.SyncRevision, Synced: a.SyncStatus == "Synced", Health: a.Health,
		SyncedAt: a.SyncedAt, HealthySince: healthySince(a), History: a.History, HealthMessage: a.HealthMessage,
	}
}

func healthySince(a App) time.Time {
	if a.Health == rollout.Healthy {
		return a.HealthSince
	}
	return time.Time{}
}

// ClientConfig finds how to reach the Kubernetes API the way kubectl does: the
// kubeconfig file given, else $KUBECONFIG, else ~/.kube/config, at the context given or
// the current one; in a pod without any, its service account.
func ClientConfig(kubeconfig, context string) (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules,
		&clientcmd.ConfigOverrides{CurrentContext: context}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubernetes configuration: %w", err)
	}
	cfg.UserAgent = "shopctl"
	return cfg, nil
}

// Contexts lists the contexts of the kubeconfig ClientConfig would read, sorted: what
// shell completion offers for --context, as kubectl's does.
func Contexts(kubeconfig string) ([]string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	cfg, err := rules.Load()
	if err != nil {
		return nil, fmt.Errorf("kubernetes configuration: %w", err)
	}
	return slices.Sorted(maps.Keys(cfg.Contexts)), nil
}

// ListOnce reads the ShopSets' Applications in namespace once, without a cache: what
// shopctl needs for one answer.
func ListOnce(ctx context.Context, cfg *rest.Config, namespace string) ([]App, error) {
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	list, err := client.Resource(GVR).Namespace(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing Applications in namespace %q: %w", namespace, explain(err, namespace, personRBAC))
	}
	out := make([]App, 0, len(list.Items))
	for i := range list.Items {
		a, err := FromUnstructured(&list.Items[i])
		if err != nil {
			continue // not a ShopSet's Application
		}
		out = append(out, a)
	}
	return out, nil
}
