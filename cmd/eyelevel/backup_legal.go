package main

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// The operator's legal texts (legal/ in the data directory: imprint and
// privacy policy per language, consent-version) go into a backup beside
// the database: restored without them, the footer loses its links and
// every client is asked to agree again to the default consent version.

// legalFile is one of them, as the manifest lists it.
type legalFile struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

const (
	backupLegalDir = "legal"
	maxLegalFile   = 1 << 20
	maxLegalFiles  = 100
)

// legalName is what a file in legal/ may be called: imprint.de.md,
// privacy.fa-AF.md, consent-version.
var legalName = regexp.MustCompile(`^([a-z]+\.[A-Za-z-]{2,10}\.md|consent-version)$`)

// legalFiles lists the legal texts in dataDir/legal with their checksums.
func legalFiles(dataDir string) ([]legalFile, error) {
	entries, err := os.ReadDir(filepath.Join(dataDir, backupLegalDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var out []legalFile
	for _, e := range entries {
		if !e.Type().IsRegular() || !legalName.MatchString(e.Name()) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dataDir, backupLegalDir, e.Name()))
		if err != nil {
			return nil, err
		}
		if len(b) > maxLegalFile || len(out) == maxLegalFiles {
			return nil, fmt.Errorf("%s: legal texts are limited to %d files of 1 MiB", e.Name(), maxLegalFiles)
		}
		sum := sha256.Sum256(b)
		out = append(out, legalFile{Name: e.Name(), Size: int64(len(b)), SHA256: hex.EncodeToString(sum[:])})
	}
	return out, nil
}

// writeLegal appends the listed files from dataDir to the archive.
func writeLegal(tw *tar.Writer, dataDir string, files []legalFile, at time.Time) error {
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dataDir, backupLegalDir, f.Name))
		if err != nil {
			return err
		}
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != f.SHA256 {
			return fmt.Errorf("%s changed while the backup ran; run it again", f.Name)
		}
		hdr := &tar.Header{Name: backupLegalDir + "/" + f.Name, Mode: 0o600, Size: int64(len(b)), ModTime: at, Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// readLegal restores the legal texts the manifest lists from the rest of
// the archive into dir/legal, checking each name, size and checksum.
func readLegal(tr *tar.Reader, dir string, files []legalFile) error {
	want := map[string]legalFile{}
	for _, f := range files {
		if !legalName.MatchString(f.Name) || f.Size > maxLegalFile {
			return fmt.Errorf("the manifest lists an unexpected legal text %q", f.Name)
		}
		want[f.Name] = f
	}
	if len(files) > 0 {
		if err := os.MkdirAll(filepath.Join(dir, backupLegalDir), 0o700); err != nil {
			return err
		}
	}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return fmt.Errorf("the archive is damaged: %v", err)
		}
		name, ok := strings.CutPrefix(hdr.Name, backupLegalDir+"/")
		f, listed := want[name]
		if !ok || !listed {
			return fmt.Errorf("the archive holds %q, which its manifest does not list", hdr.Name)
		}
		b, err := io.ReadAll(io.LimitReader(tr, maxLegalFile+1))
		if err != nil {
			return fmt.Errorf("the archive is damaged: %v", err)
		}
		if sum := sha256.Sum256(b); int64(len(b)) != f.Size || hex.EncodeToString(sum[:]) != f.SHA256 {
			return fmt.Errorf("the archive is damaged: %s does not match the checksum in its manifest", hdr.Name)
		}
		if err := os.WriteFile(filepath.Join(dir, backupLegalDir, name), b, 0o600); err != nil {
			return err
		}
		delete(want, name)
	}
	for name := range want {
		return fmt.Errorf("the archive is damaged: %s/%s is missing", backupLegalDir, name)
	}
	return nil
}
