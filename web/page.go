package web

import (
	"net/http"
	"net/url"
	"strconv"

	"eyelevel"
	"eyelevel/service"
)

// pageOf reads ?limit= and ?cursor= of a list request. Errors: EINVALID
// (field limit; a bad cursor is the service's to refuse).
func pageOf(r *http.Request) (service.Page, error) {
	q := r.URL.Query()
	p := service.Page{Cursor: q.Get("cursor")}
	if s := q.Get("limit"); s != "" || q.Has("limit") {
		n, err := strconv.Atoi(s)
		if err != nil || !service.ValidLimit(n) {
			e := eyelevel.Errorf(eyelevel.EINVALID, "error.invalid", "Please correct the marked fields.")
			e.Fields = map[string]string{"limit": "error.bad_limit"}
			e.Args = []any{"max", service.MaxLimit}
			return p, e
		}
		p.Limit = n
	}
	return p, nil
}

// listJSON is a page of a list in the API: the items under name, and
// next_cursor when there are more.
func listJSON(name string, items any, next string) map[string]any {
	out := map[string]any{name: items}
	if next != "" {
		out["next_cursor"] = next
	}
	return out
}

// nextURL is the address of a list page's next page: path with the query
// of r (less a notice) and cursor set; "" when there is none.
func nextURL(r *http.Request, path, next string) string {
	if next == "" {
		return ""
	}
	q := r.URL.Query()
	q.Set("cursor", next)
	q.Del("notice")
	u := url.URL{Path: path, RawQuery: q.Encode()}
	return u.String()
}

// paged cuts a list built in memory to the page the request asks for (see
// service.PageSlice). On a bad limit or cursor it answers the error and
// reports false.
func paged[T any](w http.ResponseWriter, r *http.Request, d Deps, items []T, id func(T) string) ([]T, string, bool) {
	pg, err := pageOf(r)
	if err != nil {
		writeError(w, r, d, err)
		return nil, "", false
	}
	page, next, err := service.PageSlice(items, pg, id)
	if err != nil {
		writeError(w, r, d, err)
		return nil, "", false
	}
	return page, next, true
}
