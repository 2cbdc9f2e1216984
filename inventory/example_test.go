package inventory_test

import (
	"fmt"

	"github.com/shopset/shopset/inventory"
)

func ExampleParse() {
	_, err := inventory.Parse("shopsets.yaml", []byte(`apiVersion: shopset.io/v1alpha1
kind: Inventory
tiers:
  - {name: dev, branch: tier/dev}
  - {name: prod, branch: tier/prod}
clusters:
  - {name: cluster-a, server: "https://a.k8s.example"}
configurations:
  - name: production
shopsets:
  - name: a-1
    tier: qa
    configuration: production
    cluster: cluster-a
    replicas: 2
`))
	fmt.Println(err)
	// Output:
	// shopsets.yaml:12:11: shopsets[0].tier: unknown tier "qa" (known: dev, prod)
	// shopsets.yaml:15:5: shopsets[0]: unknown field "replicas"
}

func ExampleInventory_Sorted() {
	inv, err := inventory.Parse("shopsets.yaml", []byte(`apiVersion: shopset.io/v1alpha1
kind: Inventory
tiers:
  - {name: dev, branch: tier/dev}
  - {name: prod, branch: tier/prod}
clusters:
  - {name: cluster-a, server: "https://a.k8s.example"}
  - {name: cluster-b, server: "https://b.k8s.example"}
configurations:
  - name: production
shopsets:
  - {name: p-1, tier: prod, configuration: production, cluster: cluster-b}
  - {name: p-2, tier: prod, configuration: production, cluster: cluster-a}
  - {name: d-1, tier: dev, configuration: production, cluster: cluster-b}
`))
	if err != nil {
		panic(err)
	}
	for _, s := range inv.Sorted() {
		fmt.Println(s.Tier, s.Cluster, s.Name, s.Namespace)
	}
	// Output:
	// dev cluster-b d-1 shopset-d-1
	// prod cluster-a p-2 shopset-p-2
	// prod cluster-b p-1 shopset-p-1
}
