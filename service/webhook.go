package service

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"eyelevel"

	"github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"
)

// webhookTolerance is how far a webhook's signed timestamp may lie from
// now: older deliveries are refused as possible replays.
const webhookTolerance = 5 * time.Minute

func errBadSignature() error {
	return eyelevel.Errorf(eyelevel.EINVALID, "webhook.err.signature", "The Stripe signature does not verify.")
}

// StripeWebhook processes one delivery of Stripe's webhook: payload is the
// raw body, signature the Stripe-Signature header. Events are processed
// once, by event id: the event is recorded in the transaction of its
// effect, so a repeated delivery changes nothing. Paid Checkout Sessions
// credit their package, expired ones close their purchase; other events
// are ignored. Errors: EUNAVAILABLE (no webhook secret), EINVALID (the
// signature does not verify, or is too old).
func (s *Service) StripeWebhook(ctx context.Context, payload []byte, signature string) error {
	if s.cfg.StripeWebhookSecret == "" {
		return eyelevel.Errorf(eyelevel.EUNAVAILABLE, "webhook.err.no_secret", "Stripe webhooks are not set up on this service.")
	}
	// The timestamp is checked on the service's clock, not stripe-go's.
	ev, err := webhook.ConstructEventWithOptions(payload, signature, s.cfg.StripeWebhookSecret,
		webhook.ConstructEventOptions{IgnoreTolerance: true, IgnoreAPIVersionMismatch: true})
	if err != nil || !freshSignature(signature, s.now()) || ev.ID == "" {
		return errBadSignature()
	}
	switch ev.Type {
	case stripe.EventTypeCheckoutSessionCompleted, stripe.EventTypeCheckoutSessionAsyncPaymentSucceeded,
		stripe.EventTypeCheckoutSessionExpired:
	default:
		return nil
	}
	var cs stripe.CheckoutSession
	if ev.Data == nil || json.Unmarshal(ev.Data.Raw, &cs) != nil {
		return eyelevel.Errorf(eyelevel.EINVALID, "webhook.err.payload", "The event's data is not a Checkout Session.")
	}
	now := s.now().UTC()
	return s.db.InTx(ctx, func(ctx context.Context) error {
		if first, err := s.db.RecordStripeEvent(ctx, ev.ID, string(ev.Type), now); err != nil || !first {
			return err
		}
		p, err := s.db.Purchase(ctx, cs.ClientReferenceID)
		if eyelevel.ErrorCode(err) == eyelevel.ENOTFOUND || err == nil && p.CheckoutSession != cs.ID {
			s.log.Warn("Stripe event for no purchase of ours", "event", ev.ID, "type", ev.Type)
			return nil
		} else if err != nil {
			return err
		}
		if ev.Type == stripe.EventTypeCheckoutSessionExpired {
			_, err := s.db.ExpirePurchase(ctx, p.ID, cs.ID)
			return err
		}
		if cs.PaymentStatus != stripe.CheckoutSessionPaymentStatusPaid {
			return nil // paid later: checkout.session.async_payment_succeeded
		}
		var intent string
		if cs.PaymentIntent != nil {
			intent = cs.PaymentIntent.ID
		}
		if ok, err := s.db.PayPurchase(ctx, p.ID, cs.ID, intent, now); err != nil || !ok {
			return err
		}
		return s.db.GrantCredit(ctx, eyelevel.Credit{
			ID: eyelevel.NewID(), ClientID: p.ClientID, Source: eyelevel.SourcePurchase, PurchaseID: p.ID,
			Granted: p.Sessions, ExpiresAt: now.Add(s.cfg.PackageExpiry), CreatedAt: now,
		})
	})
}

// freshSignature reports whether the timestamp t= of a Stripe-Signature
// header lies within webhookTolerance of now.
func freshSignature(header string, now time.Time) bool {
	for part := range strings.SplitSeq(header, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "t="); ok {
			sec, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return false
			}
			d := now.Sub(time.Unix(sec, 0))
			return d <= webhookTolerance && d >= -webhookTolerance
		}
	}
	return false
}
