// Command eyelevel runs the eyelevel counseling platform: one binary with an
// embedded database, web interface and JSON API.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	_ "time/tzdata" // time zones work even where the system has none
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first signal starts the orderly stop (drain.go); a second one,
	// with the default handling restored, ends the process at once.
	go func() {
		<-ctx.Done()
		stop()
	}()
	if err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "eyelevel:", err)
		os.Exit(1)
	}
}
