package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"eyelevel"
)

// CreatePurchase inserts an open purchase, before its Checkout Session
// exists.
func (db *DB) CreatePurchase(ctx context.Context, p eyelevel.Purchase) error {
	_, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO purchases (id, client_id, sessions, amount, unit_price, currency, status, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		p.ID, string(p.ClientID), p.Sessions, p.Amount, p.UnitPrice, p.Currency, p.Status, unix(p.CreatedAt))
	return db.wrap(err, "insert purchase")
}

const purchaseColumns = `id, client_id, sessions, amount, unit_price, currency, status, checkout_session, checkout_url,
	payment_intent, refunded_amount, created_at, paid_at`

func scanPurchase(row interface{ Scan(...any) error }) (eyelevel.Purchase, error) {
	var p eyelevel.Purchase
	var created, paid int64
	err := row.Scan(&p.ID, &p.ClientID, &p.Sessions, &p.Amount, &p.UnitPrice, &p.Currency, &p.Status, &p.CheckoutSession, &p.CheckoutURL,
		&p.PaymentIntent, &p.RefundedAmount, &created, &paid)
	p.CreatedAt = fromUnix(created)
	if paid != 0 {
		p.PaidAt = fromUnix(paid)
	}
	return p, err
}

// Purchase returns one purchase or ENOTFOUND.
func (db *DB) Purchase(ctx context.Context, id string) (eyelevel.Purchase, error) {
	p, err := scanPurchase(db.rq(ctx).QueryRowContext(ctx, `SELECT `+purchaseColumns+` FROM purchases WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, eyelevel.ErrNotFound()
	}
	return p, db.wrap(err, "select purchase")
}

// PurchasesPage lists up to limit purchases of client ("" for everyone's),
// newest first, after a.
func (db *DB) PurchasesPage(ctx context.Context, client eyelevel.UserID, a After, limit int) ([]eyelevel.Purchase, error) {
	q, args := `SELECT `+purchaseColumns+` FROM purchases WHERE 1 = 1`, []any{}
	if client != "" {
		args = append(args, string(client))
		q += ` AND client_id = $1`
	}
	if a.ID != "" {
		n := strconv.Itoa(len(args) + 1)
		q += ` AND (created_at < $` + n + ` OR (created_at = $` + n + ` AND id < $` + strconv.Itoa(len(args)+2) + `))`
		args = append(args, unix(a.At), a.ID)
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT $` + strconv.Itoa(len(args)+1)
	rows, err := db.rq(ctx).QueryContext(ctx, q, append(args, limit)...)
	if err != nil {
		return nil, db.wrap(err, "select purchases")
	}
	defer rows.Close()
	var out []eyelevel.Purchase
	for rows.Next() {
		p, err := scanPurchase(rows)
		if err != nil {
			return nil, db.wrap(err, "scan purchase")
		}
		out = append(out, p)
	}
	return out, db.wrap(rows.Err(), "select purchases")
}

// PurchaseCredits returns the credits of purchases ids, by purchase, in
// one query.
func (db *DB) PurchaseCredits(ctx context.Context, ids []string) (map[string]eyelevel.Credit, error) {
	out := map[string]eyelevel.Credit{}
	if len(ids) == 0 {
		return out, nil
	}
	marks, args := make([]string, len(ids)), make([]any, len(ids))
	for i, id := range ids {
		marks[i], args[i] = "$"+strconv.Itoa(i+1), id
	}
	rows, err := db.rq(ctx).QueryContext(ctx, creditSelect+` WHERE r.purchase_id IN (`+strings.Join(marks, ", ")+`)`, args...)
	if err != nil {
		return nil, db.wrap(err, "select purchase credits")
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanCredit(rows)
		if err != nil {
			return nil, db.wrap(err, "scan purchase credit")
		}
		out[c.PurchaseID] = c
	}
	return out, db.wrap(rows.Err(), "select purchase credits")
}

// SetCheckout stores the Checkout Session of an open purchase.
func (db *DB) SetCheckout(ctx context.Context, id, session, url string) error {
	_, err := db.wq(ctx).ExecContext(ctx, `UPDATE purchases SET checkout_session = $2, checkout_url = $3 WHERE id = $1 AND status = 'open'`, id, session, url)
	return db.wrap(err, "set checkout")
}

// ExpirePurchase closes an open purchase. With session set, only if the
// purchase has that Checkout Session. It reports whether it changed one.
func (db *DB) ExpirePurchase(ctx context.Context, id, session string) (bool, error) {
	q, args := `UPDATE purchases SET status = 'expired' WHERE id = $1 AND status = 'open'`, []any{id}
	if session != "" {
		q, args = q+` AND checkout_session = $2`, append(args, session)
	}
	res, err := db.wq(ctx).ExecContext(ctx, q, args...)
	n, err := affected(res, err)
	return n > 0, db.wrap(err, "expire purchase")
}

// PayPurchase marks an open purchase with Checkout Session session paid.
// It reports false, and changes nothing, when there is no such purchase
// (another session, or paid already).
func (db *DB) PayPurchase(ctx context.Context, id, session, paymentIntent string, now time.Time) (bool, error) {
	res, err := db.wq(ctx).ExecContext(ctx, `UPDATE purchases SET status = 'paid', payment_intent = $3, paid_at = $4
		WHERE id = $1 AND checkout_session = $2 AND checkout_session <> '' AND status IN ('open', 'expired')`, id, session, paymentIntent, unix(now))
	n, err := affected(res, err)
	return n > 0, db.wrap(err, "pay purchase")
}

// RecordRefund adds amount to what was refunded of a purchase and sets its
// status: refunded once everything is, partially_refunded before.
func (db *DB) RecordRefund(ctx context.Context, id string, amount int64) error {
	_, err := db.wq(ctx).ExecContext(ctx, `UPDATE purchases SET refunded_amount = refunded_amount + $2,
		status = CASE WHEN refunded_amount + $2 >= amount THEN 'refunded' ELSE 'partially_refunded' END WHERE id = $1`, id, amount)
	return db.wrap(err, "record refund")
}

// RecordStripeEvent notes that the Stripe event id is being processed. It
// reports false when it was before (a repeated delivery); call it in the
// transaction of the event's effect, so that both happen once or not at all.
func (db *DB) RecordStripeEvent(ctx context.Context, id, typ string, now time.Time) (bool, error) {
	res, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO stripe_events (id, type, received_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`,
		id, typ, unix(now))
	n, err := affected(res, err)
	return n > 0, db.wrap(err, "insert stripe event")
}

// PurchaseCredit returns the credit a paid purchase granted, or ENOTFOUND.
func (db *DB) PurchaseCredit(ctx context.Context, purchase string) (eyelevel.Credit, error) {
	c, err := scanCredit(db.rq(ctx).QueryRowContext(ctx, creditSelect+` WHERE r.purchase_id = $1`, purchase))
	if errors.Is(err, sql.ErrNoRows) {
		return c, eyelevel.ErrNotFound()
	}
	return c, db.wrap(err, "select purchase credit")
}

// TakeUnused shrinks a credit to what is used (granted = used), provided
// it still has granted and used as read: one conditional update, so that
// of two refunds at once only one takes the sessions, and a booking in
// between makes the refund start over. It reports whether it did.
func (db *DB) TakeUnused(ctx context.Context, credit string, granted, used int) (bool, error) {
	res, err := db.wq(ctx).ExecContext(ctx, `UPDATE credits SET granted = used WHERE id = $1 AND granted = $2 AND used = $3 AND granted > used`,
		credit, granted, used)
	n, err := affected(res, err)
	return n > 0, db.wrap(err, "take unused sessions")
}

// RestoreUnused gives n sessions back to a credit after a refund failed.
func (db *DB) RestoreUnused(ctx context.Context, credit string, n int) error {
	_, err := db.wq(ctx).ExecContext(ctx, `UPDATE credits SET granted = granted + $2 WHERE id = $1`, credit, n)
	return db.wrap(err, "restore unused sessions")
}
