package generator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/shopset/shopset/gitrepo"
	"github.com/shopset/shopset/snapshot"
)

// ConfirmRewindTrailer is the commit trailer that confirms a tier moving back: its value
// names the tier. It goes on a commit the tier's branch (or a lower tier's) now carries,
// where review sees it.
const ConfirmRewindTrailer = "Shopset-Confirm-Rewind"

// rewindSearch bounds the commits searched for a confirming trailer.
const rewindSearch = 1000

// guardRewind refuses next when a tier's pinned revision does not carry the revision
// the tier's Applications were given before (force-pushing a tier branch backwards
// moves that tier, and the tiers pinned against it, back), unless a commit confirms it.
// The baseline is what Argo CD has, read through the Kubernetes API, so it survives a
// restart and is the same on every replica; without it (no Kubernetes access) the guard
// is off.
func (s *source) guardRewind(ctx context.Context, next *snapshot.Snapshot) error {
	if s.cfg.Applications == nil {
		return nil
	}
	apps, err := s.cfg.Applications.List()
	if err != nil {
		return fmt.Errorf("%w: %w", errArgoCD, err)
	}
	ran := map[string][]string{} // tier -> revisions its Applications were given
	for _, a := range apps {
		if a.TargetRevision != "" && !slices.Contains(ran[a.Tier], a.TargetRevision) {
			ran[a.Tier] = append(ran[a.Tier], a.TargetRevision)
		}
	}
	var refused []string
	for k, t := range next.Tiers {
		slices.Sort(ran[t.Name])
		for _, old := range ran[t.Name] {
			if old == t.Pinned {
				continue
			}
			ahead, err := s.repo.IsAncestor(ctx, old, t.Pinned)
			if err != nil && !errors.Is(err, gitrepo.ErrUnknownRevision) {
				return err
			}
			if ahead {
				continue
			}
			confirmed, err := s.rewindConfirmed(ctx, next, k, old)
			if err != nil {
				return err
			}
			if !confirmed {
				refused = append(refused, fmt.Sprintf("tier %q would move back from %.12s (what its Applications were given) to %.12s, "+
					"which does not carry it; if that is meant, add the trailer \"%s: %s\" to a commit on %s (git commit --allow-empty)",
					t.Name, old, t.Pinned, ConfirmRewindTrailer, t.Name, t.Branch))
			}
			break
		}
	}
	if len(refused) > 0 {
		return fmt.Errorf("%w: %s", errRewind, strings.Join(refused, "; "))
	}
	return nil
}

// rewindConfirmed looks for the trailer naming tier k on the commits that the branch of
// tier k, or of a tier below it, carries and old does not.
func (s *source) rewindConfirmed(ctx context.Context, next *snapshot.Snapshot, k int, old string) (bool, error) {
	exclude := old
	if _, err := s.repo.ResolveCommit(ctx, old); err != nil {
		exclude = "" // gone from the repository: search the latest commits
	}
	for _, t := range next.Tiers[:k+1] {
		commits, err := s.repo.Log(ctx, exclude, t.Head, rewindSearch)
		if err != nil {
			return false, err
		}
		for _, c := range commits {
			for _, v := range c.Trailers[ConfirmRewindTrailer] {
				for _, name := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
					if name == next.Tiers[k].Name {
						return true, nil
					}
				}
			}
		}
	}
	return false, nil
}
