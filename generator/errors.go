package generator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/shopset/shopset/gitrepo"
	"github.com/shopset/shopset/snapshot"
)

var (
	errUnauthorized = errors.New("missing or invalid bearer token")
	errBadRequest   = errors.New("bad request")
	errForbidden    = errors.New("repository not served")
	errRemoval      = errors.New("inventory refused")
	errBusy         = errors.New("busy")
	errRewind       = errors.New("tier rewind refused")
	errArgoCD       = errors.New("Argo CD's Applications unavailable")
)

// statusTable maps error classes to HTTP status, first match wins. Everything else is a
// 500 whose detail is logged, not shown.
var statusTable = []struct {
	err    error
	status int
}{
	{errUnauthorized, http.StatusUnauthorized},
	{errBadRequest, http.StatusBadRequest},
	{gitrepo.ErrCredentialsInURL, http.StatusBadRequest},
	{gitrepo.ErrUnknownRevision, http.StatusBadRequest},
	{errForbidden, http.StatusForbidden},
	{snapshot.ErrInvalid, http.StatusUnprocessableEntity},
	{errRemoval, http.StatusUnprocessableEntity},
	{errBusy, http.StatusTooManyRequests},
	{errRewind, http.StatusUnprocessableEntity},
	{errArgoCD, http.StatusServiceUnavailable},
	{gitrepo.ErrUnavailable, http.StatusServiceUnavailable},
	{context.DeadlineExceeded, http.StatusServiceUnavailable},
}

func statusOf(err error) int {
	for _, e := range statusTable {
		if errors.Is(err, e.err) {
			return e.status
		}
	}
	return http.StatusInternalServerError
}

// writeError answers {"error": "..."} with the error's status. Argo CD's client shows
// the message in the ApplicationSet's conditions.
func writeError(w http.ResponseWriter, log *slog.Logger, err error) {
	status := statusOf(err)
	msg := err.Error()
	if status == http.StatusInternalServerError {
		log.Error("internal error", "error", err)
		msg = "internal error"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errBadRequest, fmt.Sprintf(format, args...))
}
