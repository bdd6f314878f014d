package store

import "database/sql"

// PoolStats are one connection pool's statistics, for the metrics.
type PoolStats struct {
	Name  string // "main" on PostgreSQL; "write" and "read" on SQLite
	Stats sql.DBStats
}

// PoolStats returns the statistics of the database's connection pools.
func (db *DB) PoolStats() []PoolStats {
	if db.r == db.w {
		return []PoolStats{{"main", db.w.Stats()}}
	}
	return []PoolStats{{"write", db.w.Stats()}, {"read", db.r.Stats()}}
}
