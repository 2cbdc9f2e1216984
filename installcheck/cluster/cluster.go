// Package cluster reads what a cluster holds of shopset's install into an
// installcheck.State, through the Kubernetes API and read only: discovery for Argo CD's
// CRDs, client-go's typed clients for Deployments, Services, ConfigMaps and the Secret,
// and an unstructured read of the AppProject (argo-cd's own packages stay out of
// shopctl). An object that is not there, or that RBAC does not let the caller read, is
// part of the State for package installcheck to judge; any other failure to read is an
// error.
//
//	c, err := cluster.New(restConfig)
//	state, err := cluster.Read(ctx, c, "argocd", want, false)
package cluster

import (
	"context"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/shopset/shopset/installcheck"
)

// Clients are what Read reads with.
type Clients struct {
	Kube    kubernetes.Interface
	Dynamic dynamic.Interface
}

// New makes Clients for cfg.
func New(cfg *rest.Config) (Clients, error) {
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return Clients{}, fmt.Errorf("kubernetes client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return Clients{}, fmt.Errorf("kubernetes client: %w", err)
	}
	return Clients{Kube: kube, Dynamic: dyn}, nil
}

var gvrAppProject = schema.GroupVersionResource{Group: installcheck.Group, Version: installcheck.Version, Resource: "appprojects"}

// Read reads the State of the install in namespace; with pre, only what
// installcheck.Check reads before shopset is installed (Argo CD's objects).
func Read(ctx context.Context, c Clients, namespace string, want installcheck.Expected, pre bool) (installcheck.State, error) {
	s := installcheck.State{Namespace: namespace, Unreadable: map[string]string{}}
	var err error
	if s.Served, err = ServedVersions(c.Kube.Discovery(), installcheck.Resources()); err != nil {
		return s, err
	}
	apps, core := c.Kube.AppsV1(), c.Kube.CoreV1()
	if s.RepoServer, err = get(ctx, &s, "Deployment", want.RepoServer, apps.Deployments(namespace).Get); err != nil {
		return s, err
	}
	if s.RepoServer == nil {
		s.RepoServerElsewhere = elsewhere(ctx, c.Kube, want.RepoServer)
	}
	if s.CmdParams, err = get(ctx, &s, "ConfigMap", want.CmdParams.Name, core.ConfigMaps(namespace).Get); err != nil {
		return s, err
	}
	if pre {
		return s, nil
	}
	if s.CMPPlugin, err = get(ctx, &s, "ConfigMap", want.CMPPlugin.Name, core.ConfigMaps(namespace).Get); err != nil {
		return s, err
	}
	if s.Generator, err = get(ctx, &s, "Deployment", want.Generator.Name, apps.Deployments(namespace).Get); err != nil {
		return s, err
	}
	if s.GeneratorService, err = get(ctx, &s, "Service", want.GeneratorService.Name, core.Services(namespace).Get); err != nil {
		return s, err
	}
	if s.GeneratorPlugin, err = get(ctx, &s, "ConfigMap", want.GeneratorPlugin.Name, core.ConfigMaps(namespace).Get); err != nil {
		return s, err
	}
	if s.GeneratorSecret, err = get(ctx, &s, "Secret", want.GeneratorSecret.Name, core.Secrets(namespace).Get); err != nil {
		return s, err
	}
	if slices.Contains(s.Served[gvrAppProject.Resource], installcheck.Version) {
		_, err := c.Dynamic.Resource(gvrAppProject).Namespace(namespace).Get(ctx, want.AppProject, metav1.GetOptions{})
		switch {
		case err == nil:
			s.AppProject = true
		case apierrors.IsForbidden(err):
			s.Unreadable["AppProject/"+want.AppProject] = err.Error()
		case !apierrors.IsNotFound(err):
			return s, fmt.Errorf("reading AppProject %s/%s: %w", namespace, want.AppProject, err)
		}
	}
	return s, nil
}

// get reads one object: nil when it is not there, or when RBAC forbids reading it (which
// s.Unreadable then says).
func get[T any](ctx context.Context, s *installcheck.State, kind, name string, read func(context.Context, string, metav1.GetOptions) (*T, error)) (*T, error) {
	o, err := read(ctx, name, metav1.GetOptions{})
	switch {
	case err == nil:
		return o, nil
	case apierrors.IsNotFound(err):
		return nil, nil
	case apierrors.IsForbidden(err):
		s.Unreadable[kind+"/"+name] = err.Error()
		return nil, nil
	}
	return nil, fmt.Errorf("reading %s %s/%s: %w", kind, s.Namespace, name, err)
}

// elsewhere lists the namespaces that have a Deployment name, as a hint; none when the
// caller may not list Deployments in every namespace.
func elsewhere(ctx context.Context, kube kubernetes.Interface, name string) []string {
	list, err := kube.AppsV1().Deployments(metav1.NamespaceAll).List(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + name})
	if err != nil {
		return nil
	}
	var out []string
	for _, d := range list.Items {
		if d.Name == name && !slices.Contains(out, d.Namespace) {
			out = append(out, d.Namespace)
		}
	}
	slices.Sort(out)
	return out
}

// ServedVersions lists, for each of resources in Argo CD's API group, the versions that
// serve it, as the API server's discovery says; a resource no version serves has none.
func ServedVersions(disc discovery.DiscoveryInterface, resources []string) (map[string][]string, error) {
	out := map[string][]string{}
	groups, err := disc.ServerGroups()
	if err != nil {
		return nil, fmt.Errorf("reading the API server's groups: %w", err)
	}
	for _, g := range groups.Groups {
		if g.Name != installcheck.Group {
			continue
		}
		for _, v := range g.Versions {
			list, err := disc.ServerResourcesForGroupVersion(v.GroupVersion)
			if apierrors.IsNotFound(err) {
				continue // gone since the groups were read
			}
			if err != nil {
				return nil, fmt.Errorf("reading the API server's %s resources: %w", v.GroupVersion, err)
			}
			for _, r := range list.APIResources {
				if slices.Contains(resources, r.Name) {
					out[r.Name] = append(out[r.Name], v.Version)
				}
			}
		}
	}
	return out, nil
}
