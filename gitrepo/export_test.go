package gitrepo

// FetchWaiters is how many callers wait on the fetch in flight, for tests that must know
// every caller has joined it before letting it end.
func FetchWaiters(r *Repo) int { return int(r.waiters.Load()) }
