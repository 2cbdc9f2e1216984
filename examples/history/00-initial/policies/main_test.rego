package main_test

import data.main

shopset := {
	"name": "c-2", "namespace": "shopset-c-2", "tier": "dev", "configuration": "production",
	"cluster": "cluster-c", "components": [], "maxMemoryLimit": "10Gi",
}

labels := {"app.kubernetes.io/name": "api", "shopset.io/name": "c-2", "shopset.io/tier": "dev"}

container := {
	"name": "api",
	"image": "registry.shop.example/shop/api:1.5.0",
	"ports": [{"containerPort": 8080}],
	"readinessProbe": {"httpGet": {"path": "/readyz", "port": 8080}},
	"resources": {"limits": {"memory": "512Mi"}},
}

deployment(c) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "api", "namespace": "shopset-c-2", "labels": labels},
	"spec": {
		"selector": {"matchLabels": {"app.kubernetes.io/name": "api"}},
		"template": {"metadata": {"labels": labels}, "spec": {"containers": [c]}},
	},
}

ids(set) := {m.id | some m in set}

test_good_deployment_passes if {
	count(main.deny) == 0 with input as deployment(container) with data.shopset as shopset
	count(main.warn) == 0 with input as deployment(container) with data.shopset as shopset
}

test_memory_limit_missing if {
	c := object.remove(container, ["resources"])
	ids(main.deny) == {"memory-limit"} with input as deployment(c) with data.shopset as shopset
}

test_memory_limit_too_high if {
	c := object.union(container, {"resources": {"limits": {"memory": "16Gi"}}})
	ids(main.deny) == {"memory-limit"} with input as deployment(c) with data.shopset as shopset
}

test_memory_limit_at_maximum if {
	c := object.union(container, {"resources": {"limits": {"memory": "10Gi"}}})
	count(main.deny) == 0 with input as deployment(c) with data.shopset as shopset
}

test_memory_limit_maximum_in_other_units if {
	at := object.union(container, {"resources": {"limits": {"memory": "2Gi"}}})
	above := object.union(container, {"resources": {"limits": {"memory": "2049Mi"}}})
	s := object.union(shopset, {"maxMemoryLimit": "2147483648"})
	count(main.deny) == 0 with input as deployment(at) with data.shopset as s
	ids(main.deny) == {"memory-limit"} with input as deployment(above) with data.shopset as s
}

test_memory_limit_without_maximum if {
	big := object.union(container, {"resources": {"limits": {"memory": "64Gi"}}})
	unlimited := object.remove(container, ["resources"])
	s := object.union(shopset, {"maxMemoryLimit": ""})
	count(main.deny) == 0 with input as deployment(big) with data.shopset as s
	ids(main.deny) == {"memory-limit"} with input as deployment(unlimited) with data.shopset as s
}

test_image_without_tag if {
	c := object.union(container, {"image": "registry.shop.example:5000/shop/api"})
	ids(main.deny) == {"pinned-image"} with input as deployment(c) with data.shopset as shopset
}

test_image_latest if {
	c := object.union(container, {"image": "docker.io/library/nginx:latest"})
	ids(main.deny) == {"pinned-image"} with input as deployment(c) with data.shopset as shopset
}

test_image_digest_passes if {
	c := object.union(container, {"image": "docker.io/library/nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"})
	count(main.deny) == 0 with input as deployment(c) with data.shopset as shopset
}

test_shopset_label_wrong if {
	d := json.patch(deployment(container), [{"op": "replace", "path": "/metadata/labels/shopset.io~1name", "value": "a-1"}])
	ids(main.deny) == {"shopset-labels"} with input as d with data.shopset as shopset
}

test_pod_label_differs_from_app if {
	d := json.patch(deployment(container), [{"op": "replace", "path": "/spec/template/metadata/labels/app.kubernetes.io~1name", "value": "cart"}])
	ids(main.deny) == {"app-labels"} with input as d with data.shopset as shopset
}

test_other_namespace if {
	d := json.patch(deployment(container), [{"op": "replace", "path": "/metadata/namespace", "value": "kube-system"}])
	ids(main.deny) == {"namespace"} with input as d with data.shopset as shopset
}

test_cluster_scoped_kind if {
	ns := {"kind": "Namespace", "metadata": {"name": "shopset-c-2", "labels": labels}}
	ids(main.deny) == {"namespace"} with input as ns with data.shopset as shopset
}

test_missing_readiness_probe_warns if {
	c := object.remove(container, ["readinessProbe"])
	ids(main.warn) == {"readiness-probe"} with input as deployment(c) with data.shopset as shopset
	count(main.deny) == 0 with input as deployment(c) with data.shopset as shopset
}
