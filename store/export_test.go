package store

import "context"

// LongAppointment is longAppointment, for TestLongAppointmentIndexed.
const LongAppointment = longAppointment

// WriterExec runs a statement on the writer's connections, for tests that
// break the database on purpose.
func (db *DB) WriterExec(ctx context.Context, query string) error {
	_, err := db.w.ExecContext(ctx, query)
	return err
}
