package main

import (
	"context"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/store"
	"eyelevel/store/storetest"
)

// TestServeDeletesOldRoomMetadata: the retention job runs inside serve and
// deletes join/leave records older than 90 days, keeping newer ones.
func TestServeDeletesOldRoomMetadata(t *testing.T) {
	dsn, dir := storetest.Location(t, storetest.Suite())
	ctx := context.Background()
	db, err := store.Open(ctx, dsn, dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, e := range []store.RoomEvent{
		{AppointmentID: "old", UserID: "u", Event: eyelevel.RoomJoined, At: now.Add(-91 * 24 * time.Hour)},
		{AppointmentID: "old", UserID: "u", Event: eyelevel.RoomLeft, At: now.Add(-89 * 24 * time.Hour)},
	} {
		if err := db.AddRoomEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	if dsn != "" {
		startServer(t, "--db", dsn)
	} else {
		startServer(t, "--data", dir)
	}
	db, err = store.Open(ctx, dsn, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		evs, err := db.RoomEvents(ctx, "old")
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 1 && evs[0].Event == eyelevel.RoomLeft {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("events after start: %+v, want only the one younger than 90 days", evs)
		}
	}
}
