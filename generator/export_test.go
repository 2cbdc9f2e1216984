package generator

// WebhookReaders is how many webhook bodies are being read now, for tests that must know
// the slots are taken before they try one more.
func WebhookReaders(s *Server) int { return len(s.webhookSlots) }
