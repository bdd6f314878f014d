package service

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"log/slog"
	"sync/atomic"
	"time"

	"eyelevel/store"
)

// rateLimitPurpose derives the key that hashes rate-limit keys (see
// vault.Keyring.Derive): every node derives the same one, so they count
// under the same hashes, and the table alone reveals no address or name.
const rateLimitPurpose = "rate limit keys"

// pruneEvery is how often a node deletes the events whose windows have
// passed; each node does, so the table stays bounded when one is down.
const pruneEvery = 5 * time.Minute

// dbLimiter counts attempts in the database that all nodes share, so that
// an attacker spreading requests over nodes gets no more than on one.
type dbLimiter struct {
	db     *store.DB
	key    []byte
	now    func() time.Time
	log    *slog.Logger
	pruned atomic.Int64 // Unix nanoseconds of the last prune
}

// NewDBLimiter returns a Limiter kept in db, its keys hashed with an HMAC
// under key (derive it with Keys.Derive(rateLimitPurpose): the same on
// every node). now and log may be nil.
func NewDBLimiter(db *store.DB, key []byte, now func() time.Time, log *slog.Logger) Limiter {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &dbLimiter{db: db, key: key, now: now, log: log}
}

// defaultLimiter is the limiter for cfg on db when none is configured:
// PostgreSQL (perhaps several nodes) shares counts in the database, SQLite
// (one node) counts in memory (see memoryLimiter for why).
func defaultLimiter(db *store.DB, cfg Config, now func() time.Time, log *slog.Logger) Limiter {
	if db.Dialect() != store.Postgres {
		return NewMemoryLimiter(now)
	}
	if cfg.Keys == nil {
		log.Warn("no master key: rate limits count on this node only until it is restored")
		return NewMemoryLimiter(now)
	}
	return NewDBLimiter(db, cfg.Keys.Derive(rateLimitPurpose), now, log)
}

func (l *dbLimiter) Reserve(ctx context.Context, limits ...Limit) (bool, error) {
	now := l.now()
	rl := make([]store.RateLimit, len(limits))
	for i, lim := range limits {
		rl[i] = store.RateLimit{Key: l.hash(lim.Key), Max: lim.Max, Window: lim.Window}
	}
	ok, err := l.db.ReserveRate(ctx, now, rl)
	if err == nil {
		l.prune(ctx, now)
	}
	return ok, err
}

func (l *dbLimiter) Refund(ctx context.Context, keys ...string) error {
	hashed := make([][]byte, len(keys))
	for i, k := range keys {
		hashed[i] = l.hash(k)
	}
	return l.db.RefundRate(ctx, hashed)
}

// hash is the stored form of a limit's key: 16 bytes of its HMAC, plenty
// against collisions and not reversible without the master key (an IPv4
// address, say, could be found from a plain hash by trying them all).
func (l *dbLimiter) hash(key string) []byte {
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte(key))
	return m.Sum(nil)[:16]
}

// prune deletes expired events every pruneEvery, on the request that
// finds it due; the others go on.
func (l *dbLimiter) prune(ctx context.Context, now time.Time) {
	last := l.pruned.Load()
	if now.UnixNano()-last < int64(pruneEvery) || !l.pruned.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	if _, err := l.db.PruneRate(context.WithoutCancel(ctx), now); err != nil {
		l.log.Warn("pruning rate limit events", "err", err)
	}
}
