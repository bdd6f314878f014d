package service

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"eyelevel"

	"github.com/stripe/stripe-go/v82"
)

// Self-pay packages: a client buys a package of sessions through Stripe's
// hosted Checkout. The purchase row is written first, then Stripe is
// called (outside any transaction), then the Checkout Session is stored.
// The credits appear only when Stripe's signed webhook says the session
// was paid (webhook.go); a refund gives back the price of the unused
// sessions and takes them away.

// stripeTimeout bounds one call to Stripe.
const stripeTimeout = 30 * time.Second

// newStripe returns a Stripe client for cfg, or nil without a key.
func newStripe(cfg Config) *stripe.Client {
	if cfg.StripeKey == "" {
		return nil
	}
	bc := &stripe.BackendConfig{
		HTTPClient:        &http.Client{Timeout: stripeTimeout},
		MaxNetworkRetries: stripe.Int64(1),
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
	}
	if cfg.StripeAPI != "" {
		bc.URL = stripe.String(strings.TrimSuffix(cfg.StripeAPI, "/"))
	}
	return stripe.NewClient(cfg.StripeKey, stripe.WithBackends(stripe.NewBackendsWithConfig(bc)))
}

// PaymentsEnabled reports whether clients can buy packages here: the
// operator has given a Stripe key. Pages hide their buy buttons without.
func (s *Service) PaymentsEnabled() bool { return s.stripe != nil }

// PurchaseView is a purchase with what is left of its package.
type PurchaseView struct {
	eyelevel.Purchase
	Remaining int       // sessions of the package that can still be booked
	Unused    int       // sessions neither booked nor held (what a refund pays back)
	Expires   time.Time // when the package can no longer be booked; zero before it is paid
}

// BuyInput is a client's order: a package size, and the address of this
// service as the client reached it, for Stripe's way back.
type BuyInput struct {
	Sessions int
	BaseURL  string // e.g. https://eyelevel.example; the receipt is BaseURL/purchases/{id}
}

func errNoStripe() error {
	return eyelevel.Errorf(eyelevel.EUNAVAILABLE, "purchase.err.no_stripe", "Payments are not set up on this service. Please ask the operator.")
}

func errStripeFailed() error {
	return eyelevel.Errorf(eyelevel.EUNAVAILABLE, "purchase.err.stripe", "The payment service could not be reached. Nothing was charged; please try again later.")
}

// BuyPackage opens a purchase of in.Sessions sessions and a Stripe
// Checkout Session for it; the client pays at CheckoutURL. Errors:
// EUNAUTHORIZED, EFORBIDDEN (not a client), EUNAVAILABLE (no Stripe key,
// or Stripe failed), ECONFLICT (charging is off), EINVALID (not a package).
func (s *Service) BuyPackage(ctx context.Context, a eyelevel.Actor, in BuyInput) (PurchaseView, error) {
	if a.Anonymous() {
		return PurchaseView{}, unauthorized()
	} else if a.Role != eyelevel.RoleClient {
		return PurchaseView{}, eyelevel.Errorf(eyelevel.EFORBIDDEN, "purchase.err.clients_only", "Only clients can buy sessions.")
	}
	if s.stripe == nil {
		return PurchaseView{}, errNoStripe()
	}
	pricing, err := s.db.Pricing(ctx)
	if err != nil {
		return PurchaseView{}, err
	}
	if !pricing.Charging() {
		return PurchaseView{}, eyelevel.Errorf(eyelevel.ECONFLICT, "purchase.err.free", "Sessions are free here: there is nothing to buy.")
	}
	if !slices.Contains(pricing.Packages, in.Sessions) {
		return PurchaseView{}, fieldErr("sessions", "purchase.err.sessions", "Please choose one of the packages on offer.")
	}
	base := strings.TrimSuffix(in.BaseURL, "/")
	if !strings.HasPrefix(base, "https://") && !strings.HasPrefix(base, "http://") {
		return PurchaseView{}, errors.New("buy package: no base URL")
	}
	p := eyelevel.Purchase{
		ID: eyelevel.NewID(), ClientID: a.UserID, Sessions: in.Sessions, UnitPrice: pricing.SessionPrice,
		Amount: pricing.SessionPrice * int64(in.Sessions), Currency: pricing.Currency, Status: eyelevel.PurchaseOpen,
		CreatedAt: s.now().UTC(),
	}
	if err := s.db.CreatePurchase(ctx, p); err != nil {
		return PurchaseView{}, err
	}
	receipt := base + "/purchases/" + p.ID
	params := &stripe.CheckoutSessionCreateParams{
		Mode:              stripe.String(string(stripe.CheckoutSessionModePayment)),
		ClientReferenceID: stripe.String(p.ID),
		SuccessURL:        stripe.String(receipt + "?checkout=done"),
		CancelURL:         stripe.String(receipt + "?checkout=cancelled"),
		LineItems: []*stripe.CheckoutSessionCreateLineItemParams{{
			Quantity: stripe.Int64(int64(p.Sessions)),
			PriceData: &stripe.CheckoutSessionCreateLineItemPriceDataParams{
				Currency:    stripe.String(strings.ToLower(p.Currency)),
				UnitAmount:  stripe.Int64(p.UnitPrice),
				ProductData: &stripe.CheckoutSessionCreateLineItemPriceDataProductDataParams{Name: stripe.String("Counseling sessions")},
			},
		}},
	}
	params.AddMetadata("purchase", p.ID)
	params.SetIdempotencyKey("checkout-" + p.ID)
	// The purchase exists now: finish it even if the client goes away.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stripeTimeout)
	defer cancel()
	cs, err := s.stripe.V1CheckoutSessions.Create(sctx, params)
	if err != nil || cs.ID == "" || cs.URL == "" {
		s.log.Error("creating a Stripe Checkout Session", "purchase", p.ID, "err", stripeErr(err))
		if _, err := s.db.ExpirePurchase(sctx, p.ID, ""); err != nil {
			s.log.Error("closing a purchase Stripe refused", "purchase", p.ID, "err", err)
		}
		return PurchaseView{}, errStripeFailed()
	}
	p.CheckoutSession, p.CheckoutURL = cs.ID, cs.URL
	if err := s.db.SetCheckout(sctx, p.ID, cs.ID, cs.URL); err != nil {
		return PurchaseView{}, err
	}
	return PurchaseView{Purchase: p}, nil
}

// stripeErr describes a Stripe error for the log: its type and code,
// never the customer's details.
func stripeErr(err error) string {
	var se *stripe.Error
	if errors.As(err, &se) {
		return "stripe " + strconv.Itoa(se.HTTPStatusCode) + " " + string(se.Type) + " " + string(se.Code)
	}
	if err == nil {
		return "no session id or url"
	}
	return err.Error()
}

// Purchase returns one purchase to its client or an admin; for anyone
// else ENOTFOUND. Errors: EUNAUTHORIZED, ENOTFOUND.
func (s *Service) Purchase(ctx context.Context, a eyelevel.Actor, id string) (PurchaseView, error) {
	if a.Anonymous() {
		return PurchaseView{}, unauthorized()
	}
	p, err := s.db.Purchase(ctx, id)
	if err != nil {
		return PurchaseView{}, err
	}
	if !(a.Role == eyelevel.RoleAdmin || a.Role == eyelevel.RoleClient && p.ClientID == a.UserID) {
		return PurchaseView{}, eyelevel.ErrNotFound()
	}
	return s.purchaseView(ctx, p)
}

func (s *Service) purchaseView(ctx context.Context, p eyelevel.Purchase) (PurchaseView, error) {
	if p.PaidAt.IsZero() {
		return PurchaseView{Purchase: p}, nil
	}
	c, err := s.db.PurchaseCredit(ctx, p.ID)
	if eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND {
		return PurchaseView{Purchase: p}, nil
	} else if err != nil {
		return PurchaseView{}, err
	}
	return s.withCredit(p, c, true), nil
}

// withCredit is p as shown, with its credit c if it has one (ok).
func (s *Service) withCredit(p eyelevel.Purchase, c eyelevel.Credit, ok bool) PurchaseView {
	v := PurchaseView{Purchase: p}
	if ok && !p.PaidAt.IsZero() {
		v.Remaining, v.Unused, v.Expires = c.Usable(s.now()), c.Remaining(), c.Expires()
	}
	return v
}

// Purchases lists a client's own purchases, or for an admin everyone's,
// newest first, a page at a time (read a page at a time from the store,
// with their credits in one more query). Errors: EUNAUTHORIZED, EFORBIDDEN
// (other roles), EINVALID (cursor).
func (s *Service) Purchases(ctx context.Context, a eyelevel.Actor, pg Page) ([]PurchaseView, string, error) {
	var client eyelevel.UserID
	switch {
	case a.Anonymous():
		return nil, "", unauthorized()
	case a.Role == eyelevel.RoleClient:
		client = a.UserID
	case a.Role != eyelevel.RoleAdmin:
		return nil, "", forbidden()
	}
	c, _, err := decodeCursor(pg.Cursor)
	if err != nil {
		return nil, "", err
	}
	ps, err := s.db.PurchasesPage(ctx, client, c.after(), pg.limit()+1)
	if err != nil {
		return nil, "", err
	}
	ps, next := pageOf(ps, pg.limit(), func(p eyelevel.Purchase) cursor { return cursor{Key: p.CreatedAt.Unix(), ID: p.ID} })
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	credits, err := s.db.PurchaseCredits(ctx, ids)
	if err != nil {
		return nil, "", err
	}
	out := make([]PurchaseView, len(ps))
	for i, p := range ps {
		cr, ok := credits[p.ID]
		out[i] = s.withCredit(p, cr, ok)
	}
	return out, next, nil
}

// RefundPurchase refunds the unused sessions of a paid package (granted
// and neither booked nor held): price × unused through Stripe, and the
// package's credit shrinks to what is used. The client may do it while
// the package can be booked with, an admin always. Errors: EUNAUTHORIZED,
// ENOTFOUND (not the client's), EUNAVAILABLE (no Stripe key, Stripe
// failed: nothing changed), ECONFLICT (not paid, nothing to refund, a
// booking or refund at the same moment, or for a client the package
// expired).
func (s *Service) RefundPurchase(ctx context.Context, a eyelevel.Actor, id string) (PurchaseView, error) {
	v, err := s.Purchase(ctx, a, id)
	if err != nil {
		return v, err
	}
	if s.stripe == nil {
		return v, errNoStripe()
	}
	if v.PaidAt.IsZero() || v.PaymentIntent == "" {
		return v, eyelevel.Errorf(eyelevel.ECONFLICT, "purchase.err.not_paid", "This purchase was not paid, so there is nothing to refund.")
	}
	c, err := s.db.PurchaseCredit(ctx, id)
	if err != nil {
		return v, err
	}
	unused := c.Remaining()
	if unused == 0 {
		return v, eyelevel.Errorf(eyelevel.ECONFLICT, "purchase.err.nothing_to_refund", "All sessions of this package are booked or used: there is nothing to refund.")
	}
	if a.Role != eyelevel.RoleAdmin && !s.now().Before(c.Expires()) {
		return v, eyelevel.Errorf(eyelevel.ECONFLICT, "purchase.err.expired", "This package has expired. Please ask the operator about a refund.")
	}
	// Take the sessions first: a second refund, or a booking, at the same
	// moment finds them gone (or finds the credit changed) and stops here.
	if ok, err := s.db.TakeUnused(ctx, c.ID, c.Granted, c.Used); err != nil {
		return v, err
	} else if !ok {
		return v, eyelevel.Errorf(eyelevel.ECONFLICT, "purchase.err.busy", "This package changed at the same moment. Please look at it again.")
	}
	amount := v.UnitPrice * int64(unused)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stripeTimeout)
	defer cancel()
	params := &stripe.RefundCreateParams{PaymentIntent: stripe.String(v.PaymentIntent), Amount: stripe.Int64(amount)}
	params.AddMetadata("purchase", id)
	// The same refund asked again (after a failure we could not read) is
	// the same refund at Stripe, never a second one.
	params.SetIdempotencyKey("refund-" + id + "-" + strconv.FormatInt(v.RefundedAmount, 10) + "-" + strconv.FormatInt(amount, 10))
	rf, err := s.stripe.V1Refunds.Create(sctx, params)
	if err != nil || rf.Status == stripe.RefundStatusFailed || rf.Status == stripe.RefundStatusCanceled {
		s.log.Error("refunding through Stripe", "purchase", id, "err", stripeErr(err))
		if err := s.db.RestoreUnused(sctx, c.ID, unused); err != nil {
			s.log.Error("restoring sessions after a failed refund", "purchase", id, "sessions", unused, "err", err)
		}
		return v, eyelevel.Errorf(eyelevel.EUNAVAILABLE, "purchase.err.refund_failed", "The refund could not be made through the payment service. Nothing changed; please try again later.")
	}
	if err := s.db.RecordRefund(sctx, id, amount); err != nil {
		s.log.Error("recording a refund Stripe made", "purchase", id, "amount", amount, "err", err)
		return v, err
	}
	if err := s.logStaff(sctx, a, v.ClientID, eyelevel.ActionRefund); err != nil {
		// The money went back already: say so in the log, fail the request.
		s.log.Error("logging a refund in the access log", "purchase", id, "err", err)
		return v, err
	}
	p, err := s.db.Purchase(sctx, id)
	if err != nil {
		return v, err
	}
	return s.purchaseView(sctx, p)
}
