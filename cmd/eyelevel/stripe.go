package main

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strings"
)

// stripeConfig is how eyelevel reaches Stripe for self-pay packages.
// Without a key, purchases answer 503.
type stripeConfig struct {
	key, webhookSecret, api string
}

func (c *stripeConfig) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.key, "stripe-key", "", "Stripe secret API key (sk_… or a restricted rk_…); empty: clients cannot buy packages")
	fs.StringVar(&c.webhookSecret, "stripe-webhook-secret", "", "signing secret (whsec_…) of the Stripe webhook endpoint /api/v1/webhooks/stripe; needed with --stripe-key")
	fs.StringVar(&c.api, "stripe-api", "", "base URL of the Stripe API (default: Stripe's own; e.g. http://127.0.0.1:12111 for stripe-mock)")
}

// check refuses settings that would take money without crediting it, or
// a key of the wrong kind.
func (c stripeConfig) check() error {
	if c.key != "" && !strings.HasPrefix(c.key, "sk_") && !strings.HasPrefix(c.key, "rk_") {
		return errors.New("--stripe-key (EYELEVEL_STRIPE_KEY): want a secret key starting with sk_ or rk_ (not the publishable pk_ key)")
	}
	if c.key != "" && c.webhookSecret == "" {
		return errors.New("--stripe-key needs --stripe-webhook-secret (EYELEVEL_STRIPE_WEBHOOK_SECRET): without it paid packages are never credited")
	}
	if c.api != "" {
		u, err := url.Parse(c.api)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("--stripe-api (EYELEVEL_STRIPE_API) %q: want an http(s) URL such as https://api.stripe.com", c.api)
		}
	}
	return nil
}
