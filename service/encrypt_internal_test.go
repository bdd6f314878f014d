package service

import (
	"bytes"

	"eyelevel/vault"
)

// encTestKeys is a master keyring for the package's internal tests (the
// outbox seals recipients, so mail needs one).
func encTestKeys() *vault.Keyring {
	k, err := vault.New(bytes.Repeat([]byte{1}, vault.KeySize))
	if err != nil {
		panic(err)
	}
	return k
}
