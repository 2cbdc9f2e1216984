# Platform rules for every ShopSet rendered from this tier (conftest conventions).
#
# input is one rendered object; data.shopset holds the ShopSet's parameters (name,
# namespace, tier, configuration, cluster, components, and maxMemoryLimit: its
# configuration's in the inventory, "" when it sets none). A deny fails the render;
# a warn is printed and does not.
#
# Each message carries an id: an object exempts itself from a rule, with a reason
# reviewers can read, by the annotation
#   policy.shopset.io/exempt: "<id>: <reason>"
package main

workload_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}

cluster_scoped_kinds := {
	"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
	"PersistentVolume", "StorageClass", "PriorityClass",
	"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
}

pod_spec := input.spec.template.spec if input.kind in workload_kinds

pod_spec := input.spec.jobTemplate.spec.template.spec if input.kind == "CronJob"

pod_spec := input.spec if input.kind == "Pod"

containers contains c if some c in pod_spec.containers

containers contains c if some c in pod_spec.initContainers

# memory-limit: every container has a memory limit, at most the ShopSet's
# maxMemoryLimit when its configuration sets one. Both are Kubernetes quantities.
deny contains {"id": "memory-limit", "msg": sprintf("container %q has no memory limit", [c.name])} if {
	some c in containers
	not c.resources.limits.memory
}

deny contains {"id": "memory-limit", "msg": msg} if {
	maximum := data.shopset.maxMemoryLimit
	maximum != ""
	some c in containers
	limit := c.resources.limits.memory
	units.parse(sprintf("%v", [limit])) > units.parse(maximum)
	msg := sprintf("container %q has memory limit %v, above the maximum %v", [c.name, limit, maximum])
}

# pinned-image: every image names a tag other than latest, or a digest.
deny contains {"id": "pinned-image", "msg": sprintf("container %q: image %q has no pinned tag", [c.name, c.image])} if {
	some c in containers
	not pinned(c.image)
}

pinned(image) if contains(image, "@sha256:")

pinned(image) if {
	not contains(image, "@")
	parts := split(image, "/")
	last := parts[count(parts) - 1]
	tag := split(last, ":")
	count(tag) == 2
	tag[1] != ""
	tag[1] != "latest"
}

# shopset-labels: every object carries the ShopSet's labels.
deny contains {"id": "shopset-labels", "msg": sprintf("label %s is %q, want %q", [key, object.get(input.metadata, ["labels", key], ""), want])} if {
	some key, want in {"shopset.io/name": data.shopset.name, "shopset.io/tier": data.shopset.tier}
	object.get(input.metadata, ["labels", key], "") != want
}

# app-labels: a workload's pods and selector carry the workload's app label.
deny contains {"id": "app-labels", "msg": sprintf("pod template label app.kubernetes.io/name is %q, want %q", [got, app])} if {
	pod_spec
	input.kind != "Pod"
	app := input.metadata.labels["app.kubernetes.io/name"]
	got := object.get(input.spec, ["template", "metadata", "labels", "app.kubernetes.io/name"], "")
	input.kind != "CronJob"
	got != app
}

deny contains {"id": "app-labels", "msg": sprintf("%s has no app.kubernetes.io/name label", [input.kind])} if {
	pod_spec
	not input.metadata.labels["app.kubernetes.io/name"]
}

# namespace: every namespaced object lives in the ShopSet's namespace.
deny contains {"id": "namespace", "msg": sprintf("namespace is %q, want %q", [ns, data.shopset.namespace])} if {
	not input.kind in cluster_scoped_kinds
	ns := object.get(input.metadata, "namespace", "")
	ns != data.shopset.namespace
}

deny contains {"id": "namespace", "msg": sprintf("cluster-scoped %s is not allowed in a ShopSet", [input.kind])} if {
	input.kind in cluster_scoped_kinds
}

# readiness-probe (warning): a container serving a port should say when it is ready.
warn contains {"id": "readiness-probe", "msg": sprintf("container %q has ports but no readinessProbe", [c.name])} if {
	some c in pod_spec.containers
	count(object.get(c, "ports", [])) > 0
	not c.readinessProbe
}
