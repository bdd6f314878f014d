package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// loadTurnSecret returns the TURN secret of --turn-secret, of
// --turn-secret-file, or else the one kept in the data directory. A file
// keeps the secret off the command line and out of the environment, where
// other users of the machine (ps, /proc, docker inspect) could read it and
// mint relay credentials.
func (t turnConfig) loadSecret(dataDir string) ([]byte, error) {
	if t.secretFile == "" {
		return turnSecret(t.secret, dataDir)
	}
	if t.secret != "" {
		return nil, errors.New("--turn-secret and --turn-secret-file (EYELEVEL_TURN_SECRET, EYELEVEL_TURN_SECRET_FILE) exclude each other: give the secret once")
	}
	return readTurnSecretFile(t.secretFile)
}

// readTurnSecretFile reads a secret file: one line, readable by its owner
// only, as a compose secret (chmod 400) or a systemd credential is.
func readTurnSecretFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--turn-secret-file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("--turn-secret-file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("--turn-secret-file %s: not a regular file", path)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("--turn-secret-file %s: other users may read it (mode %s); run chmod 600 on it", path, fi.Mode().Perm())
	}
	b, err := io.ReadAll(io.LimitReader(f, 4097))
	if err != nil {
		return nil, fmt.Errorf("--turn-secret-file: %w", err)
	}
	if len(b) > 4096 {
		return nil, fmt.Errorf("--turn-secret-file %s: longer than 4096 bytes; want the secret alone", path)
	}
	secret := strings.TrimRight(string(b), "\r\n")
	switch {
	case strings.TrimSpace(secret) == "":
		return nil, fmt.Errorf("--turn-secret-file %s is empty; put the secret in it (openssl rand -hex 32)", path)
	case strings.ContainsAny(secret, "\r\n"):
		return nil, fmt.Errorf("--turn-secret-file %s: more than one line; want the secret alone", path)
	}
	return []byte(secret), nil
}
