package service_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/service/servicetest"
	"eyelevel/store"
	"eyelevel/store/storetest"
	"eyelevel/vault"
)

// TestKeysRewrap: re-wrapping moves every client's data key and the root
// of derived keys under the newest master key, in batches, also the keys
// a server still on the old key writes meanwhile; afterwards the new key
// alone opens every data key and gives the same derived keys as before; a
// conditional update never overwrites a key changed meanwhile.
func TestKeysRewrap(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		oldKey, newKey := vault.NewKey(), vault.NewKey()
		old, _ := vault.New(oldKey)
		if err := service.LoadKeyRoot(ctx, db, old); err != nil {
			t.Fatal(err)
		}
		device := old.Derive("device")
		svc := servicetest.NewService(t, db, nil)
		dataKeys := map[eyelevel.UserID][]byte{}
		addClient := func(i int) {
			u, err := svc.AddUser(ctx, eyelevel.RoleClient, fmt.Sprintf("keys-client-%d", i), "a long passphrase", "UTC")
			if err != nil {
				t.Fatal(err)
			}
			key, id, wrapped, _ := old.NewDataKeyID(string(u.ID))
			if err := db.CreateClientKey(ctx, store.ClientKey{ClientID: u.ID, KeyID: id, Wrapped: wrapped}, time.Now()); err != nil {
				t.Fatal(err)
			}
			dataKeys[u.ID] = key
		}
		for i := range 7 {
			addClient(i)
		}

		ring, _ := vault.NewRing(newKey, oldKey)
		if err := service.LoadKeyRoot(ctx, db, ring); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ring.Derive("device"), device) {
			t.Fatal("a new master key changed derived keys")
		}
		batches := 0
		n, err := service.RewrapKeys(ctx, db, ring, service.RotateOptions{Batch: 3, Pause: func(context.Context) {
			if batches++; batches == 1 {
				addClient(100) // a server that has not re-read its key file yet
			}
		}})
		if err != nil || n != 9 {
			t.Fatalf("RewrapKeys = %d, %v; want 9 (8 data keys and the root)", n, err)
		}
		if batches < 3 {
			t.Fatalf("%d batches of 3 for 8 keys", batches)
		}
		use, err := db.KeyUse(ctx)
		if err != nil || len(use) != 1 || use[ring.ID()] != 9 {
			t.Fatalf("KeyUse = %v, %v", use, err)
		}
		if n, err := service.RewrapKeys(ctx, db, ring, service.RotateOptions{}); err != nil || n != 0 {
			t.Fatalf("again: %d, %v", n, err)
		}

		only, _ := vault.New(newKey)
		if err := service.LoadKeyRoot(ctx, db, only); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(only.Derive("device"), device) {
			t.Fatal("derived keys changed after the rotation")
		}
		for client, want := range dataKeys {
			k, err := db.ClientKey(ctx, client)
			if err != nil {
				t.Fatal(err)
			}
			got, err := only.Unwrap(k.KeyID, k.Wrapped, string(client))
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("client %s: %v", client, err)
			}
		}
		// The old key alone opens nothing any more.
		if err := service.LoadKeyRoot(ctx, db, old); err == nil {
			t.Fatal("the old key still opens the root")
		}
		for client := range dataKeys {
			done, err := db.RewrapClientKey(ctx, old.ID(), store.ClientKey{ClientID: client, KeyID: "x", Wrapped: []byte("x")})
			if err != nil || done {
				t.Fatalf("conditional update overwrote a key under another master key: %v %v", done, err)
			}
			break
		}
	})
}
