package main

import (
	"io"
	"strings"
	"testing"
)

// TestStripeConfig: the Stripe settings arrive from flags and the
// environment into the service's configuration, and settings that would
// take money without crediting it, or a key of the wrong kind, stop the
// start with a message naming them.
func TestStripeConfig(t *testing.T) {
	env := map[string]string{
		"EYELEVEL_STRIPE_KEY": "sk_test_env", "EYELEVEL_STRIPE_WEBHOOK_SECRET": "whsec_env", "EYELEVEL_STRIPE_API": "http://127.0.0.1:12111",
	}
	c, _, err := serveConfig([]string{"--stripe-key", "sk_test_flag"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	sc := c.serviceConfig()
	if sc.StripeKey != "sk_test_flag" || sc.StripeWebhookSecret != "whsec_env" || sc.StripeAPI != "http://127.0.0.1:12111" {
		t.Fatalf("service config: key %q secret %q api %q", sc.StripeKey, sc.StripeWebhookSecret, sc.StripeAPI)
	}
	if c, _, err := serveConfig(nil, func(string) string { return "" }, io.Discard); err != nil || c.serviceConfig().StripeKey != "" {
		t.Fatalf("no Stripe settings: %v, key %q", err, c.serviceConfig().StripeKey)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"publishable key", []string{"--stripe-key", "pk_test_1", "--stripe-webhook-secret", "whsec_1"}, "stripe-key"},
		{"key without secret", []string{"--stripe-key", "sk_test_1"}, "stripe-webhook-secret"},
		{"api not a URL", []string{"--stripe-api", "localhost:12111"}, "stripe-api"},
		{"api ftp", []string{"--stripe-api", "ftp://x"}, "stripe-api"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := serveConfig(tc.args, func(string) string { return "" }, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("serveConfig = %v, want an error naming %q", err, tc.want)
			}
		})
	}
}
