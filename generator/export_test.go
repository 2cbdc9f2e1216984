package generator

import "time"

// WebhookReaders is how many webhook bodies are being read now, for tests that must know
// the slots are taken before they try one more.
func WebhookReaders(s *Server) int { return len(s.webhookSlots) }

// FollowArgoCDFaster makes rollout decisions follow a change of Argo CD's state within
// d instead of a second, for tests that step through many changes.
func FollowArgoCDFaster(d time.Duration) { rolloutMinInterval = d }
