package store

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// SQLite spends more time compiling a statement than running the small ones
// that make up most use cases (a booking runs nine), and neither database/sql
// nor the driver keeps compiled statements. So on SQLite the store prepares
// each statement once per pool and connection and keeps it: a stmtCache per
// pool, and cachedQuerier to run statements through it, in a transaction or
// not. PostgreSQL needs none: pgx keeps prepared statements per connection.
//
// One rule follows: a statement must not run again in a transaction while
// rows of the same statement text in that transaction are still open (the
// driver would reset them). No store method nests queries that way.

// maxCachedQuery keeps statements with long IN lists, which vary with the
// number of counselors and are few, out of the cache.
const (
	maxCachedQuery = 2048
	maxCached      = 512
)

type stmtCache struct {
	pool    *sql.DB
	mu      sync.Mutex
	m       map[string]*sql.Stmt
	pending map[string]bool // met in a transaction, to prepare after it
}

func newStmtCache(pool *sql.DB) *stmtCache {
	return &stmtCache{pool: pool, m: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

// get returns the prepared statement for query, or nil if it is not (yet)
// cached. In a transaction (inTx) it does not prepare: the writer pool has
// one connection, which the transaction holds, so preparing on the pool
// would wait forever. It notes the query instead for preparePending. The
// mutex is never held while waiting for a connection: a goroutine holding a
// connection may be waiting for the mutex.
func (c *stmtCache) get(ctx context.Context, query string, inTx bool) (*sql.Stmt, error) {
	if len(query) > maxCachedQuery {
		return nil, nil
	}
	c.mu.Lock()
	if st := c.m[query]; st != nil {
		c.mu.Unlock()
		return st, nil
	}
	full := len(c.m)+len(c.pending) >= maxCached
	if inTx && !full {
		c.pending[query] = true
	}
	c.mu.Unlock()
	if inTx || full {
		return nil, nil
	}
	st, err := c.pool.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return c.put(query, st), nil
}

// put caches st for query unless another goroutine was first, and returns
// the cached statement.
func (c *stmtCache) put(query string, st *sql.Stmt) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[query]; old != nil {
		st.Close()
		return old
	}
	c.m[query] = st
	return st
}

// preparePending prepares the statements that transactions ran unprepared.
// InTx calls it after a transaction has ended. A statement that fails to
// prepare is left out; it failed to run too, or will again.
func (c *stmtCache) preparePending(ctx context.Context) {
	c.mu.Lock()
	queries := make([]string, 0, len(c.pending))
	for query := range c.pending {
		queries = append(queries, query)
		delete(c.pending, query)
	}
	c.mu.Unlock()
	for _, query := range queries {
		if st, err := c.pool.PrepareContext(ctx, query); err == nil {
			c.put(query, st)
		}
	}
}

// hasPending reports whether preparePending has work, cheaply.
func (c *stmtCache) hasPending() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending) > 0
}

func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var err error
	for q, st := range c.m {
		err = errors.Join(err, st.Close())
		delete(c.m, q)
	}
	return err
}

// cachedQuerier runs statements on pool, or in tx if it is not nil, through
// the prepared statements of cache.
type cachedQuerier struct {
	pool  *sql.DB
	tx    *sql.Tx
	cache *stmtCache
}

// stmt returns the statement to run query with, or nil to run it directly.
func (q cachedQuerier) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	st, err := q.cache.get(ctx, query, q.tx != nil)
	if err != nil || st == nil {
		return nil, err
	}
	if q.tx != nil {
		// Reuses what st prepared on the transaction's connection; closed
		// when the transaction ends.
		st = q.tx.StmtContext(ctx, st)
	}
	return st, nil
}

func (q cachedQuerier) direct() querier {
	if q.tx != nil {
		return q.tx
	}
	return q.pool
}

func (q cachedQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := q.stmt(ctx, query)
	if err != nil {
		return nil, err
	} else if st == nil {
		return q.direct().ExecContext(ctx, query, args...)
	}
	return st.ExecContext(ctx, args...)
}

func (q cachedQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := q.stmt(ctx, query)
	if err != nil {
		return nil, err
	} else if st == nil {
		return q.direct().QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

func (q cachedQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := q.stmt(ctx, query)
	if err != nil || st == nil {
		// A failed prepare fails again here, with the error in the Row.
		return q.direct().QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}
