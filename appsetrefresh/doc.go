// Package appsetrefresh asks Argo CD's ApplicationSet controller to reconcile its
// plugin-generator ApplicationSets now rather than at their next requeue.
//
// Argo CD has no API for this, but its ApplicationSet controller refreshes every
// ApplicationSet with a plugin generator on any valid push event its webhook receives
// (applicationset/webhook in Argo CD v2.14 and v3.2). The generator sends one, signed
// with the GitHub webhook secret Argo CD holds (webhook.github.secret in argocd-secret)
// when it has one, when its answer changes without a push: a rollout wave released at the end of a soak,
// a rollback. The event names a ref no Git generator follows, so nothing else reconciles.
package appsetrefresh
