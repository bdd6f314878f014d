//go:build !unix

package main

// lockKeyFile does nothing where flock is missing: run one keys command
// at a time.
func lockKeyFile(path string) (unlock func(), err error) { return func() {}, nil }
