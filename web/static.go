package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed static
var staticFS embed.FS

// assetVersions holds a content hash per static file. Pages link
// /static/name?v=hash, so the files can be cached for a year and a new
// release is still picked up at once.
var assetVersions = func() map[string]string {
	out := map[string]string{}
	fs.WalkDir(staticFS, "static", func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := fs.ReadFile(staticFS, path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[strings.TrimPrefix(path, "static/")] = hex.EncodeToString(sum[:6])
		return nil
	})
	return out
}()

// assetURL returns the versioned URL of a static file.
func assetURL(name string) string {
	return "/static/" + name + "?v=" + assetVersions[name]
}

// handleStatic serves the embedded static files with a long cache lifetime.
func handleStatic(d Deps) http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err)
	}
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		if _, ok := assetVersions[name]; !ok {
			http.Error(w, d.Catalog.T(info(r).Lang, "error.not_found"), http.StatusNotFound)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		files.ServeHTTP(w, r)
	})
}

// handleFavicon answers /favicon.ico, which browsers request on their own
// whatever the page links; pages link the SVG icon.
func handleFavicon() http.Handler {
	ico, err := fs.ReadFile(staticFS, "static/favicon.ico")
	if err != nil {
		panic(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/vnd.microsoft.icon")
		w.Header().Set("Cache-Control", "public, max-age=86400")
		w.Write(ico)
	})
}
