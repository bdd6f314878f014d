package signaling

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"eyelevel"
)

// BenchmarkClusterRelay measures how long a relayed message takes from
// the counselor's node to the client's queue on the other node, through
// NATS, with 500 rooms open across the two nodes: one message at a time
// (serial), and one in every room at once (burst).
// Run: go test ./signaling -run '^$' -bench ClusterRelay -benchtime 20x
func BenchmarkClusterRelay(b *testing.B) {
	const rooms = 500
	s := testSubject()
	a, c := node(b, "A", s), node(b, "B", s)
	clients := make([]*Peer, rooms)
	counselors := make([]*Peer, rooms)
	for i := range rooms {
		clients[i], counselors[i] = crossAdmitted(b, a, c, eyelevel.AppointmentID(fmt.Sprintf("bench-%d", i)))
	}
	msg := []byte(`{"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host","sdpMid":"0","sdpMLineIndex":0}}`)
	// arrive waits for a message in p's queue and takes it.
	arrive := func(p *Peer) time.Time {
		for {
			if _, ok := p.next(); ok {
				return time.Now()
			}
			<-p.ready
		}
	}
	report := func(b *testing.B, lat []time.Duration) {
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
	b.Run("serial", func(b *testing.B) {
		var lat []time.Duration
		for i := 0; b.Loop(); i++ {
			r := i % rooms
			start := time.Now()
			if e := c.Handle(counselors[r], msg); e != nil {
				b.Fatal(e)
			}
			lat = append(lat, arrive(clients[r]).Sub(start))
		}
		report(b, lat)
	})
	b.Run("burst500", func(b *testing.B) {
		var lat []time.Duration
		for b.Loop() {
			starts := make([]time.Time, rooms)
			arrived := make([]time.Time, rooms)
			var wg sync.WaitGroup
			for r := range rooms {
				wg.Go(func() { arrived[r] = arrive(clients[r]) })
			}
			for r := range rooms {
				starts[r] = time.Now()
				if e := c.Handle(counselors[r], msg); e != nil {
					b.Fatal(e)
				}
			}
			wg.Wait()
			for r := range rooms {
				lat = append(lat, arrived[r].Sub(starts[r]))
			}
		}
		report(b, lat)
	})
}
