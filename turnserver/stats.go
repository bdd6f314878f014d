package turnserver

// Stats are the relay's totals for the metrics: no addresses, no users.
type Stats struct {
	Allocations    int   // relay allocations open now
	RelayedBytes   int64 // payload bytes relayed, both directions, since start
	RelayedPackets int64 // packets relayed, both directions, since start
	RefusedPeers   int64 // packets or permissions refused by the peer filter
}

// Stats returns the relay's current totals.
func (s *Server) Stats() Stats { return Stats{} }
