package main

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// background is the work serve runs besides answering requests: periodic
// jobs and long-lived requests (WebSockets). Shutdown waits for all of it
// before the database closes, so nothing writes to a closed database.
type background struct {
	wg   sync.WaitGroup
	stop chan struct{} // closed when the server shuts down
	once sync.Once
}

func newBackground() *background { return &background{stop: make(chan struct{})} }

// every calls fn now and then every interval until ctx ends.
func (b *background) every(ctx context.Context, interval time.Duration, fn func()) {
	b.wg.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			fn()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
}

// track counts the requests h serves, so that wait also waits for those
// http.Server.Shutdown does not: a WebSocket's handler runs until the
// connection ends, and records leaving the room when it does. Upgraded
// requests get a context that ends at shutdown.
func (b *background) track(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.wg.Add(1)
		defer b.wg.Done()
		if r.Header.Get("Upgrade") != "" {
			ctx, cancel := context.WithCancel(r.Context())
			defer cancel()
			go func() {
				select {
				case <-b.stop:
					cancel()
				case <-ctx.Done():
				}
			}()
			r = r.WithContext(ctx)
		}
		h.ServeHTTP(w, r)
	})
}

// shutdown ends long-lived requests and waits until every job and request
// has returned. Call it after http.Server.Shutdown, which stops new
// requests from starting.
func (b *background) shutdown() {
	b.once.Do(func() { close(b.stop) })
	b.wg.Wait()
}
