package turnserver

import "sync"

// Stats are the relay's totals for the metrics: no addresses, no users.
type Stats struct {
	Allocations    int   // relay allocations open now
	RelayedBytes   int64 // payload bytes relayed, both directions, since start
	RelayedPackets int64 // packets relayed, both directions, since start
	RefusedPeers   int64 // packets or permissions refused by the peer filter
}

// Stats returns the relay's current totals. Packets from peers count when
// a relay socket reads them (pion drops the few from peers without a
// permission after that); packets to peers when the relay socket sent
// them. The relays count for themselves, per batch or without contention,
// so Stats costs the hot path nothing; it sums the open relays under a
// lock, which is fine for a scrape every few seconds.
func (s *Server) Stats() Stats {
	st := s.relays.stats.totals()
	st.RefusedPeers = s.relays.guard.refusals.Load()
	return st
}

// relayStats keeps the open relays, whose counters Stats sums, and the
// totals of the closed ones.
type relayStats struct {
	mu     sync.Mutex
	open   map[*guardedConn]struct{}
	closed Stats
}

func (r *relayStats) add(c *guardedConn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.open == nil {
		r.open = map[*guardedConn]struct{}{}
	}
	r.open[c] = struct{}{}
}

// remove folds a closing relay's counts into the totals.
func (r *relayStats) remove(c *guardedConn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.open, c)
	r.closed.RelayedPackets += c.inPackets.Load() + c.outPackets.Load()
	r.closed.RelayedBytes += c.inBytes.Load() + c.outBytes.Load()
}

func (r *relayStats) totals() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.closed
	st.Allocations = len(r.open)
	for c := range r.open {
		st.RelayedPackets += c.inPackets.Load() + c.outPackets.Load()
		st.RelayedBytes += c.inBytes.Load() + c.outBytes.Load()
	}
	return st
}
