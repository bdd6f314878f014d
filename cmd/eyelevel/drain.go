package main

import (
	"context"

	"eyelevel/store"
)

// ready is /readyz: the database answers and is migrated, the cluster is
// reachable, and the node is not draining before a stop.
func ready(ctx context.Context, db *store.DB, cl *cluster, bg *background) error {
	if err := db.Ping(ctx); err != nil {
		return err
	}
	return cl.Ready()
}
