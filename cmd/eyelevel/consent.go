package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"eyelevel/service"
)

// The operator's legal texts live in DATA/legal: imprint.<lang>.md and
// privacy.<lang>.md (German is the fallback, then English), and
// consent-version, the version of the health-data consent in force
// (default 1). Raising it asks every client to agree again.

// setupLegal points the web layer at DATA/legal, writes the demo's sample
// texts, reads the consent version and warns about missing texts.
func setupLegal(c *config, scfg *service.Config, log *slog.Logger) error {
	dir := filepath.Join(c.data, "legal")
	c.operator.LegalDir = dir
	if c.demo {
		if err := writeSampleLegal(dir); err != nil {
			return fmt.Errorf("sample legal texts: %w", err)
		}
	}
	v, err := readConsentVersion(dir)
	if err != nil {
		return err
	}
	scfg.ConsentVersion = v
	if !c.operator.HasLegalText("imprint") {
		log.Warn("no imprint: put it in " + filepath.Join(dir, "imprint.de.md") + " (imprint.<language>.md for others) or set --imprint-url")
	}
	if !c.operator.HasLegalText("privacy") {
		log.Warn("no privacy policy: put it in " + filepath.Join(dir, "privacy.de.md") + " (privacy.<language>.md for others) or set --privacy-url")
	}
	log.Info("consent version in force", "version", v)
	return nil
}

// readConsentVersion reads DIR/consent-version; without the file it is
// service.DefaultConsentVersion.
func readConsentVersion(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "consent-version"))
	if errors.Is(err, fs.ErrNotExist) {
		return service.DefaultConsentVersion, nil
	} else if err != nil {
		return "", fmt.Errorf("consent version: %w", err)
	}
	v := strings.TrimSpace(string(b))
	if !service.ValidConsentVersion(v) {
		return "", fmt.Errorf("%s: want one line of at most 64 characters, e.g. 2", filepath.Join(dir, "consent-version"))
	}
	return v, nil
}

// writeSampleLegal writes sample texts for --demo where the operator has
// none, so that the footer links work; they say that they are samples.
func writeSampleLegal(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for name, text := range sampleLegal {
		p := filepath.Join(dir, name)
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue // the operator's own
		} else if err != nil {
			return err
		}
		_, err = f.WriteString(text)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

var sampleLegal = map[string]string{
	"imprint.de.md": `# Impressum (MUSTER)

**Dies ist ein Mustertext der eyelevel-Demo, kein gültiges Impressum.**
Der Betreiber ersetzt ihn durch sein eigenes Impressum in ` + "`legal/imprint.de.md`" + ` im Datenverzeichnis.

Angaben gemäß § 5 DDG: Name und Anschrift des Betreibers, vertretungsberechtigte Person,
Kontakt (E-Mail, Telefon), Registereintrag, Umsatzsteuer-Identifikationsnummer.
`,
	"imprint.en.md": `# Imprint (SAMPLE)

**This is a sample text of the eyelevel demo, not a valid legal notice.**
The operator replaces it with their own in ` + "`legal/imprint.en.md`" + ` in the data directory.

Required details (German § 5 DDG): the operator's name and address, who represents it,
contact (email, telephone), register entry, VAT identification number.
`,
	"privacy.de.md": `# Datenschutzerklärung (MUSTER)

**Dies ist ein Mustertext der eyelevel-Demo, keine gültige Datenschutzerklärung.**
Der Betreiber ersetzt ihn durch seine eigene in ` + "`legal/privacy.de.md`" + ` im Datenverzeichnis.

Eine Datenschutzerklärung nennt unter anderem: den Verantwortlichen und die Datenschutzbeauftragte,
welche Daten zu welchem Zweck auf welcher Rechtsgrundlage verarbeitet werden (Gesundheitsdaten:
ausdrückliche Einwilligung, Art. 9 Abs. 2 lit. a DSGVO), Empfänger, Speicherdauer, die Rechte der
betroffenen Personen (Auskunft, Berichtigung, Löschung, Widerruf der Einwilligung, Beschwerde bei
einer Aufsichtsbehörde).
`,
	"privacy.en.md": `# Privacy policy (SAMPLE)

**This is a sample text of the eyelevel demo, not a valid privacy policy.**
The operator replaces it with their own in ` + "`legal/privacy.en.md`" + ` in the data directory.

A privacy policy names, among other things: the controller and the data protection officer, which
data are processed for which purpose on which legal basis (health data: explicit consent,
Art. 9(2)(a) GDPR), recipients, how long data are kept, and the rights of the people concerned
(access, rectification, erasure, withdrawal of consent, complaint to a supervisory authority).
`,
}
