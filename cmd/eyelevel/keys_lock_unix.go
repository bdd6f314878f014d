//go:build unix

package main

import (
	"fmt"
	"os"
	"syscall"
)

// lockKeyFile takes an exclusive lock beside the key file at path, so that
// two keys commands never write it at once (each would drop the other's
// new key). The lock ends with the process, also when it is killed.
func lockKeyFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock the key file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("another keys command is running on %s (%w)", path, err)
	}
	return func() { f.Close() }, nil
}
