package store_test

import (
	"context"
	"strconv"
	"testing"

	"eyelevel/store"
	"eyelevel/store/storetest"
)

// The schema was made with store.longAppointment: the partial index that
// Busy, BusyIn and the booking facts match by its literal, and on
// PostgreSQL the function book_if_unchanged. Changing the constant without
// a migration that remakes them fails here.
func TestLongAppointmentIndexed(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		long := strconv.Itoa(store.LongAppointment)
		q := `SELECT count(*) FROM sqlite_master WHERE name = 'appointments_long' AND sql LIKE '%end_at - start_at > ' || $1`
		if db.Dialect() == store.Postgres {
			q = `SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'appointments_long' AND indexdef LIKE '%(end_at - start_at) > ' || $1::text || '))'`
		}
		if n, err := db.QueryInt(ctx, q, long); err != nil || n != 1 {
			t.Errorf("appointments_long made with %s: %d, %v", long, n, err)
		}
		if db.Dialect() != store.Postgres {
			return
		}
		n, err := db.QueryInt(ctx, `SELECT count(*) FROM pg_proc WHERE proname = 'book_if_unchanged' AND pronamespace = current_schema()::regnamespace
			AND prosrc LIKE '%end_at - start_at <= ' || $1::text || '%' AND prosrc LIKE '%end_at - start_at > ' || $1::text || '%' AND prosrc NOT LIKE '%{{%'`, long)
		if err != nil || n != 1 {
			t.Errorf("book_if_unchanged made with %s: %d, %v", long, n, err)
		}
	})
}
