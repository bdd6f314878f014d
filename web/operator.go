package web

import (
	"fmt"
	"net/url"
	"strings"
)

// Operator is who runs this eyelevel. Every page's footer names it and
// links its imprint and privacy policy, and the landing page says that it
// pays for the counseling, so that visitors know whom they are dealing with.
type Operator struct {
	Name       string // e.g. "Beratungsnetz e.V."; empty: not shown
	ImprintURL string // the legal notice (Impressum); empty: no link
	PrivacyURL string // the privacy policy; empty: no link
	// LegalDir holds the operator's own texts as Markdown, per language:
	// imprint.de.md, privacy.ar.md … (see pages_consent.go). A URL above
	// overrides the file; with neither there is no link.
	LegalDir string
}

// Check reports the first setting that cannot be shown: links must be
// http(s) URLs or paths on this site, names a single line.
func (o Operator) Check() error {
	if strings.ContainsAny(o.Name, "\r\n\x00") || len(o.Name) > 200 {
		return fmt.Errorf("operator name: one line of at most 200 bytes")
	}
	for _, l := range []struct{ flag, v string }{{"imprint-url", o.ImprintURL}, {"privacy-url", o.PrivacyURL}} {
		if l.v == "" || isLocalPath(l.v) {
			continue
		}
		u, err := url.Parse(l.v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("--%s %q: want an http(s) URL or a path starting with /", l.flag, l.v)
		}
	}
	return nil
}
