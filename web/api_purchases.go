package web

import (
	"errors"
	"io"
	"net/http"
	"time"

	"eyelevel"
	"eyelevel/service"
)

type pricingJSON struct {
	Currency     string `json:"currency"`
	SessionPrice int64  `json:"session_price"`
	Packages     []int  `json:"packages"`
	Charging     bool   `json:"charging"`
}

func toPricingJSON(p eyelevel.Pricing) pricingJSON {
	out := pricingJSON{Currency: p.Currency, SessionPrice: p.SessionPrice, Packages: p.Packages, Charging: p.Charging()}
	if out.Packages == nil {
		out.Packages = []int{}
	}
	return out
}

func handleGetPricing(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := d.Service.Pricing(r.Context())
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusOK, toPricingJSON(p))
	})
}

func handlePutPricing(d Deps) http.Handler {
	type request struct {
		Currency     string `json:"currency"`
		SessionPrice *int64 `json:"session_price"`
		Packages     []int  `json:"packages"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[request](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		p, err := d.Service.SetPricing(r.Context(), info(r).Actor, service.PricingInput{Currency: in.Currency, SessionPrice: in.SessionPrice, Packages: in.Packages})
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusOK, toPricingJSON(p))
	})
}

type purchaseJSON struct {
	ID             string  `json:"id"`
	Status         string  `json:"status"`
	Sessions       int     `json:"sessions"`
	Remaining      int     `json:"remaining"`
	Amount         int64   `json:"amount"`
	Currency       string  `json:"currency"`
	RefundedAmount int64   `json:"refunded_amount"`
	Created        string  `json:"created"`
	Paid           *string `json:"paid"`
	Expires        *string `json:"expires"`
	CheckoutURL    string  `json:"checkout_url,omitempty"`
}

func toPurchaseJSON(p service.PurchaseView) purchaseJSON {
	out := purchaseJSON{
		ID: p.ID, Status: p.Status, Sessions: p.Sessions, Remaining: p.Remaining, Amount: p.Amount, Currency: p.Currency,
		RefundedAmount: p.RefundedAmount, Created: p.CreatedAt.UTC().Format(time.RFC3339),
	}
	if !p.PaidAt.IsZero() {
		s := p.PaidAt.UTC().Format(time.RFC3339)
		out.Paid = &s
	}
	if !p.Expires.IsZero() {
		s := p.Expires.UTC().Format(time.RFC3339)
		out.Expires = &s
	}
	if p.Status == eyelevel.PurchaseOpen {
		out.CheckoutURL = p.CheckoutURL
	}
	return out
}

// baseURL is this service's address as the client reached it, for
// Stripe's way back to the receipt.
func baseURL(r *http.Request, d Deps) string {
	if overHTTPS(r, d.TrustProxy) {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

func handleBuyPackage(d Deps) http.Handler {
	type request struct {
		Sessions int `json:"sessions"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[request](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		p, err := d.Service.BuyPackage(r.Context(), info(r).Actor, service.BuyInput{Sessions: in.Sessions, BaseURL: baseURL(r, d)})
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusCreated, map[string]any{
			"id": p.ID, "status": p.Status, "sessions": p.Sessions, "amount": p.Amount, "currency": p.Currency, "checkout_url": p.CheckoutURL,
		})
	})
}

func handleGetPurchase(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := d.Service.Purchase(r.Context(), info(r).Actor, r.PathValue("id"))
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusOK, toPurchaseJSON(p))
	})
}

func handleListPurchases(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pg, err := pageOf(r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		ps, next, err := d.Service.Purchases(r.Context(), info(r).Actor, pg)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		out := make([]purchaseJSON, len(ps))
		for i, p := range ps {
			out[i] = toPurchaseJSON(p)
		}
		encode(w, http.StatusOK, listJSON("purchases", out, next))
	})
}

func handleRefundPurchase(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := d.Service.RefundPurchase(r.Context(), info(r).Actor, r.PathValue("id"))
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusOK, map[string]any{"status": p.Status, "refunded_amount": p.RefundedAmount})
	})
}

// maxWebhookBody caps a Stripe event; real ones are a few KiB.
const maxWebhookBody = 64 << 10

// handleStripeWebhook takes Stripe's events. It needs no login: the
// Stripe-Signature header, made with the webhook secret, is the proof.
func handleStripeWebhook(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				writeError(w, r, d, eyelevel.Errorf(eyelevel.ETOOLARGE, "error.too_large", "The request is too large."))
			} else {
				writeError(w, r, d, eyelevel.Errorf(eyelevel.EINVALID, "error.bad_json", "The request body is not valid JSON."))
			}
			return
		}
		if err := d.Service.StripeWebhook(r.Context(), body, r.Header.Get("Stripe-Signature")); err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusOK, map[string]bool{"received": true})
	})
}
