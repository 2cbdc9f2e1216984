// Package offline takes a process off the network, for the processes that render
// checkouts written by others (the Config Management Plugin, shopctl render and diff).
//
// A render must read nothing but the checkout. The render package refuses every
// reference it knows Kustomize would fetch or clone; this package is the second line,
// for the reference it does not know: Kustomize fetches URLs with an [http.Client] on
// [http.DefaultTransport] and clones Git addresses by running "git" from PATH, so a
// process that calls Enforce has a transport, a client and a resolver that refuse, and,
// with [NoExec], a PATH on which no program is found.
//
//	offline.Enforce(offline.NoExec) // first thing in the plugin's generate command
//
// Enforce changes process-wide state and cannot be undone: call it from a command's
// entry point, never from a library or a process that serves other work.
package offline

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
)

// ErrOffline is the error every refused network access wraps.
var ErrOffline = errors.New("network access is disabled while rendering: everything must come from the checkout")

// Option changes what Enforce takes away.
type Option int

// NoExec also empties PATH, so no program can be started by name: Kustomize runs "git"
// to clone a remote base. Only for processes that start no program of their own.
const NoExec Option = iota + 1

// Enforce makes the process unable to make HTTP requests or resolve names through the
// standard library's defaults, and with NoExec to run programs by name.
func Enforce(opts ...Option) {
	http.DefaultTransport = refusing{}
	http.DefaultClient = &http.Client{Transport: refusing{}}
	net.DefaultResolver = &net.Resolver{PreferGo: true, Dial: refuseDial}
	for _, o := range opts {
		if o == NoExec {
			// An empty PATH finds nothing; "." would find programs in the working
			// directory, which is the checkout.
			os.Setenv("PATH", "/nonexistent")
		}
	}
}

// refusing is an http.RoundTripper that sends nothing.
type refusing struct{}

func (refusing) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	return nil, fmt.Errorf("%s %s: %w", r.Method, r.URL.Redacted(), ErrOffline)
}

func refuseDial(_ context.Context, network, address string) (net.Conn, error) {
	return nil, fmt.Errorf("dial %s %s: %w", network, address, ErrOffline)
}
