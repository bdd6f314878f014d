package turnserver

import (
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Default allocation quotas (Config.UserQuota, Config.AddrQuota). A browser
// allocates once per TURN URL it is given (UDP, TCP, TLS) on each network it
// has, so one participant holds 2–3 allocations; an address is shared by
// everyone behind one NAT (an office, a shelter's Wi-Fi).
const (
	DefaultUserQuota = 5
	DefaultAddrQuota = 30
)

// pendingFor is how long a quota slot is held for an Allocate that passed
// the check but has not been created yet. pion creates the allocation right
// after asking; one that fails instead (508) gives its slot back then.
const pendingFor = 10 * time.Second

// quota limits the live allocations per user ID (from the REST username)
// and per client IP address, so that one credential or one address cannot
// take the relay ports (RFC 8656 486 Allocation Quota Reached).
//
// pion asks allow before it creates an allocation, and reports the creation
// and deletion as events. allow counts the new allocation at once, as
// pending, so concurrent Allocates on several sockets cannot all pass the
// same check; created makes it live and deleted gives the slot back.
type quota struct {
	perUser, perAddr int // 0: no limit
	now              func() time.Time
	log              *slog.Logger

	mu      sync.Mutex
	users   map[string]int
	addrs   map[netip.Addr]int
	pending map[string]slot // client transport address → Allocate in progress
	live    map[string]slot // five-tuple → allocation
}

// slot is one counted allocation.
type slot struct {
	user    string
	addr    netip.Addr
	expires time.Time // pending slots only
}

func newQuota(perUser, perAddr int, now func() time.Time, log *slog.Logger) *quota {
	return &quota{
		perUser: max(perUser, 0), perAddr: max(perAddr, 0), now: now, log: log,
		users: map[string]int{}, addrs: map[netip.Addr]int{},
		pending: map[string]slot{}, live: map[string]slot{},
	}
}

// allow is pion's QuotaHandler: it reserves a slot for userID and src's
// address, or refuses when either is full.
func (q *quota) allow(userID, _ string, src net.Addr) bool {
	addr := addrOf(src)
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.now()
	for key, s := range q.pending {
		if now.After(s.expires) {
			q.releaseLocked(s)
			delete(q.pending, key)
		}
	}
	// One transport address makes one allocation at a time: a repeated
	// Allocate replaces its own pending slot rather than taking another.
	key := addrString(src)
	if s, ok := q.pending[key]; ok {
		q.releaseLocked(s)
		delete(q.pending, key)
	}
	reason := ""
	switch {
	case q.perUser > 0 && q.users[userID] >= q.perUser:
		reason = "user"
	case q.perAddr > 0 && q.addrs[addr] >= q.perAddr:
		reason = "address"
	}
	if reason != "" {
		q.log.Debug("turn allocation quota reached", "quota", reason, "user", userID, "src", key)
		return false
	}
	s := slot{user: userID, addr: addr, expires: now.Add(pendingFor)}
	q.takeLocked(s)
	q.pending[key] = s
	return true
}

// created is pion's OnAllocationCreated: the pending slot becomes live.
func (q *quota) created(src, dst net.Addr, protocol, userID string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	key := addrString(src)
	s, ok := q.pending[key]
	if ok {
		delete(q.pending, key)
	} else {
		// Not reserved (or reserved so long ago that it lapsed): count now.
		s = slot{user: userID, addr: addrOf(src)}
		q.takeLocked(s)
	}
	tuple := fiveTuple(src, dst, protocol)
	if old, dup := q.live[tuple]; dup {
		q.releaseLocked(old)
	}
	q.live[tuple] = slot{user: s.user, addr: s.addr}
}

// deleted is pion's OnAllocationDeleted (expiry, Refresh with lifetime 0,
// closed TCP connection): the slot is free again.
func (q *quota) deleted(src, dst net.Addr, protocol string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	tuple := fiveTuple(src, dst, protocol)
	if s, ok := q.live[tuple]; ok {
		q.releaseLocked(s)
		delete(q.live, tuple)
	}
}

// counts returns the slots held by userID and addr, for tests.
func (q *quota) counts(userID string, addr netip.Addr) (user, address int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.users[userID], q.addrs[addr]
}

func (q *quota) takeLocked(s slot) {
	q.users[s.user]++
	q.addrs[s.addr]++
}

func (q *quota) releaseLocked(s slot) {
	if q.users[s.user]--; q.users[s.user] <= 0 {
		delete(q.users, s.user)
	}
	if q.addrs[s.addr]--; q.addrs[s.addr] <= 0 {
		delete(q.addrs, s.addr)
	}
}

func fiveTuple(src, dst net.Addr, protocol string) string {
	return protocol + " " + addrString(src) + " " + addrString(dst)
}

// addrOf is the IP address of a client's UDP or TCP address.
func addrOf(a net.Addr) netip.Addr {
	var ip net.IP
	switch a := a.(type) {
	case *net.UDPAddr:
		ip = a.IP
	case *net.TCPAddr:
		ip = a.IP
	case nil:
		return netip.Addr{}
	default:
		ap, _ := netip.ParseAddrPort(a.String())
		return ap.Addr().Unmap().WithZone("")
	}
	addr, _ := netip.AddrFromSlice(ip)
	return addr.Unmap().WithZone("")
}
