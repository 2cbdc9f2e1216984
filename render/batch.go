package render

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"sync"

	"sigs.k8s.io/kustomize/kyaml/filesys"
	kyamlopenapi "sigs.k8s.io/kustomize/kyaml/openapi"

	"github.com/shopset/shopset/render/internal/openapi"
)

// Job is one render of a batch: a tier checkout and a ShopSet's parameters.
type Job struct {
	Checkout fs.FS
	ShopSet  ShopSet
}

// Result is what Render returns for one Job.
type Result struct {
	Out []byte
	// JSON holds each object of Out as JSON, as RenderManifests gives it, for readers
	// of the objects (policy checks) that need not render again.
	JSON [][]byte
	Err  error
}

// RenderAll renders many ShopSets with up to workers Kustomize builds at once (workers < 1
// means one) and returns one Result per job, in the jobs' order. Each Result holds exactly
// the bytes, or the error, that Render gives for the same job.
//
// Render runs one build at a time, because every build brings its own OpenAPI schema into
// Kustomize's process-wide state. A batch instead loads one schema before its builds, the
// part of Kustomize's built-in schema that the kinds of all its checkouts need, and runs
// the builds side by side against it: they only read it. Like Render's per-checkout
// subset, it holds the built-in definitions verbatim, so merges come out the same. A
// checkout whose kustomizations name a schema of their own (an openapi field) would change
// that shared state, so its jobs are rendered with Render, one after the other. While a
// batch builds, Render calls elsewhere in the process wait for it.
//
// Jobs are taken batchSize at a time, so that at most that many copies of checkouts are
// held at once. A job not started when ctx ends gets ctx's error.
func RenderAll(ctx context.Context, jobs []Job, workers int) []Result {
	workers = max(workers, 1)
	results := make([]Result, 0, len(jobs))
	for start := 0; start < len(jobs); start += batchSize {
		results = append(results, renderBatch(ctx, jobs[start:min(start+batchSize, len(jobs))], workers)...)
	}
	return results
}

// batchSize bounds the jobs prepared at once.
const batchSize = 64

func renderBatch(ctx context.Context, jobs []Job, workers int) []Result {
	results := make([]Result, len(jobs))
	prepared := make([]preparedJob, len(jobs))

	// Copy the checkouts and run the safety checks side by side: no Kustomize yet.
	each(ctx, len(jobs), workers, func(i int) {
		prepared[i] = prepareJob(jobs[i].Checkout, jobs[i].ShopSet)
	}, func(i int, err error) { prepared[i].err = err })

	var shared, alone []int
	for i, p := range prepared {
		switch {
		case p.err != nil:
			results[i] = Result{Err: fmt.Errorf("shopset %q: %w", jobs[i].ShopSet.Name, p.err)}
		case p.ownSchema:
			alone = append(alone, i)
		default:
			shared = append(shared, i)
		}
	}

	if len(shared) > 0 {
		kinds := map[string]bool{}
		for _, i := range shared {
			for _, k := range prepared[i].kinds {
				kinds[k] = true
			}
		}
		if buildShared(ctx, jobs, prepared, shared, kinds, workers, results) {
			shared = nil
		}
		alone = append(alone, shared...) // only if the schema was refused
	}

	for _, i := range alone {
		if err := ctx.Err(); err != nil {
			results[i] = Result{Err: err}
			continue
		}
		m, err := RenderManifests(jobs[i].Checkout, jobs[i].ShopSet)
		results[i] = Result{Out: m.YAML, JSON: m.JSON, Err: err}
	}
	return results
}

// buildShared builds the jobs at the indexes shared side by side against one schema for
// all of them, holding the build lock throughout. It reports false, having built nothing,
// when Kustomize refuses the schema.
func buildShared(ctx context.Context, jobs []Job, prepared []preparedJob, shared []int, kinds map[string]bool, workers int, results []Result) bool {
	buildMu.Lock()
	defer buildMu.Unlock()
	// Leave no trace of the batch: the next Render starts afresh anyway.
	defer kyamlopenapi.ResetOpenAPI()
	// The part of the built-in schema that every checkout's kinds need, parsed now, once,
	// so that the builds only read it.
	kyamlopenapi.ResetOpenAPI()
	if err := kyamlopenapi.SetSchema(nil, openapi.Subset(slices.Sorted(maps.Keys(kinds))), true); err != nil {
		return false
	}
	kyamlopenapi.Schema()
	each(ctx, len(shared), workers, func(n int) {
		i := shared[n]
		m, err := recovered(func() (Manifests, error) {
			return krustyBuild(prepared[i].mem, "/"+overlayDir, jobs[i].ShopSet.AllowClusterScoped)
		})
		if err != nil {
			err = fmt.Errorf("shopset %q: %w", jobs[i].ShopSet.Name, err)
		}
		results[i] = Result{Out: m.YAML, JSON: m.JSON, Err: err}
		prepared[i] = preparedJob{} // let the copy go
	}, func(n int, err error) { results[shared[n]] = Result{Err: err} })
	return true
}

// each calls f(0..n-1) on up to workers goroutines; an index not started when ctx ends
// gets canceled(i, ctx.Err()) instead.
func each(ctx context.Context, n, workers int, f func(int), canceled func(int, error)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for i := range next {
				f(i)
			}
		})
	}
	for i := range n {
		if err := ctx.Err(); err != nil {
			canceled(i, err)
			continue
		}
		next <- i
	}
	close(next)
	wg.Wait()
}

// namesOwnSchema reports whether any kustomization of the checkout, reachable or not (a
// generator or transformer directory is one too), has an openapi field, or is one that
// cannot be read here: Kustomize would load that schema into its process-wide state.
func namesOwnSchema(mem filesys.FileSystem) (bool, error) {
	own := false
	err := mem.Walk("/", func(p string, info fs.FileInfo, err error) error {
		if err != nil || own || !info.IsDir() {
			return err
		}
		file, k, rerr := readKustomization(mem, p)
		own = rerr != nil || (file != "" && (k == nil || len(k.OpenAPI) > 0))
		return nil
	})
	return own, err
}

// preparedJob is a job ready for Kustomize, or the error that stopped it.
type preparedJob struct {
	*prepared
	ownSchema bool // a kustomization names its own OpenAPI schema
	err       error
}

// prepareJob does what Render does before the build, leaving the overlay on Kustomize's
// whole built-in schema (no openapi field), and notes whether any kustomization names a
// schema of its own.
func prepareJob(checkout fs.FS, s ShopSet) preparedJob {
	p, err := prepare(checkout, s)
	if err != nil {
		return preparedJob{err: err}
	}
	own, err := namesOwnSchema(p.mem)
	if err != nil {
		return preparedJob{err: fmt.Errorf("reading checkout: %w", err)}
	}
	return preparedJob{prepared: p, ownSchema: own}
}
