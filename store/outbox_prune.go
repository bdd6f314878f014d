package store

import (
	"context"
	"time"
)

// PruneOutbox deletes mails sent before sentBefore and mails given up on
// before failedBefore, and empties the bodies (whose links are secrets) of
// mails given up on before eraseBefore. It returns how many rows it
// deleted and how many it emptied.
func (db *DB) PruneOutbox(ctx context.Context, sentBefore, failedBefore, eraseBefore time.Time) (deleted, erased int64, err error) {
	err = db.InTx(ctx, func(ctx context.Context) error {
		res, err := db.wq(ctx).ExecContext(ctx, `DELETE FROM outbox WHERE (sent_at > 0 AND sent_at < $1) OR (failed_at > 0 AND failed_at < $2)`,
			unix(sentBefore), unix(failedBefore))
		if err != nil {
			return err
		}
		if deleted, err = res.RowsAffected(); err != nil {
			return err
		}
		res, err = db.wq(ctx).ExecContext(ctx, `UPDATE outbox SET body_text = '', body_html = '', ics = '', body_sealed = $2
			WHERE sent_at = 0 AND failed_at > 0 AND failed_at < $1 AND (body_text <> '' OR body_html <> '' OR ics <> '' OR length(body_sealed) > 0)`, unix(eraseBefore), []byte{})
		if err != nil {
			return err
		}
		erased, err = res.RowsAffected()
		return err
	})
	return deleted, erased, db.wrap(err, "prune outbox")
}
