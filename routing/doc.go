// Package routing places an inventory's shops on its ShopSets and renders the routing
// table a front proxy loads: for every shop host, the ShopSets that serve it, best first.
//
// The table is JSON in a ConfigMap (key routing.json):
//
//	{
//	  "apiVersion": "shopset.io/v1alpha1",
//	  "kind": "RoutingTable",
//	  "shops": {
//	    "hoge.shop.example": [
//	      {"shopset": "a-2", "cluster": "cluster-a", "namespace": "shopset-a-2"},
//	      {"shopset": "b-1", "cluster": "cluster-b", "namespace": "shopset-b-1"}
//	    ]
//	  },
//	  "degraded": ["fuga.shop.example"]
//	}
//
// A proxy sends a host's traffic to the first entry it can reach and fails over down the
// list; "degraded" lists the hosts served by fewer failure domains than they ask for.
package routing
