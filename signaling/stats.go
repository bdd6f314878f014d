package signaling

// Stats are the hub's current figures for the metrics.
type Stats struct {
	Connections int // participants connected to this node
	Rooms       int // rooms with someone in them on this node
}

// Stats returns the hub's figures now.
func (h *Hub) Stats() Stats {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := Stats{Rooms: len(h.rooms)}
	for _, r := range h.rooms {
		for _, p := range []*Peer{r.client, r.counselor} {
			if p != nil {
				s.Connections++
			}
		}
	}
	return s
}
