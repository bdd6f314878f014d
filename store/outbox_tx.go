package store

import (
	"context"
	"sync"
)

type afterCommitKey struct{}

// afterCommit collects what runs once a transaction committed.
type afterCommit struct {
	mu  sync.Mutex
	fns []func()
}

func (a *afterCommit) run() {
	a.mu.Lock()
	fns := a.fns
	a.fns = nil
	a.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// AfterCommit runs fn once the transaction in ctx has committed, and not
// at all when it rolls back; without a transaction in ctx it runs fn at
// once. The mail worker is woken this way: woken before the commit it
// would not yet see the new mail.
func AfterCommit(ctx context.Context, fn func()) {
	if a, ok := ctx.Value(afterCommitKey{}).(*afterCommit); ok {
		a.mu.Lock()
		a.fns = append(a.fns, fn)
		a.mu.Unlock()
		return
	}
	fn()
}
