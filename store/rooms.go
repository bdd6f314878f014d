package store

import (
	"context"
	"time"

	"eyelevel"
)

// RoomEvent is one join or leave of a video room.
type RoomEvent struct {
	AppointmentID eyelevel.AppointmentID
	UserID        eyelevel.UserID
	Event         string // eyelevel.RoomJoined or eyelevel.RoomLeft
	At            time.Time
}

// AddRoomEvent records a join or leave.
func (db *DB) AddRoomEvent(ctx context.Context, e RoomEvent) error {
	_, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO room_events (appointment_id, user_id, event, at) VALUES ($1, $2, $3, $4)`,
		string(e.AppointmentID), string(e.UserID), e.Event, unix(e.At))
	return db.wrap(err, "insert room event")
}

// RoomEvents lists the events of one appointment in time order.
func (db *DB) RoomEvents(ctx context.Context, id eyelevel.AppointmentID) ([]RoomEvent, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT appointment_id, user_id, event, at FROM room_events WHERE appointment_id = $1 ORDER BY at`, string(id))
	if err != nil {
		return nil, db.wrap(err, "select room events")
	}
	defer rows.Close()
	var out []RoomEvent
	for rows.Next() {
		var e RoomEvent
		var at int64
		if err := rows.Scan(&e.AppointmentID, &e.UserID, &e.Event, &at); err != nil {
			return nil, db.wrap(err, "scan room event")
		}
		e.At = fromUnix(at)
		out = append(out, e)
	}
	return out, db.wrap(rows.Err(), "select room events")
}

// DeleteRoomEventsBefore deletes events older than cutoff and returns how many.
func (db *DB) DeleteRoomEventsBefore(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := db.wq(ctx).ExecContext(ctx, `DELETE FROM room_events WHERE at < $1`, unix(cutoff))
	if err != nil {
		return 0, db.wrap(err, "delete room events")
	}
	return res.RowsAffected()
}
