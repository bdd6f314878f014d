package service

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// Lists are read a page at a time, so that none is cut off silently: each
// page names the cursor of the next one. A cursor is opaque to clients; it
// holds the sort key of the last item shown, and the next page is read by
// the store with that key as a lower bound (keyset pagination), so pages
// neither repeat nor skip items when others are added meanwhile.

// Page sizes.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// Page asks for one page of a list: at most Limit items (0: DefaultLimit)
// after Cursor ("" for the first page).
type Page struct {
	Limit  int
	Cursor string
}

// ValidLimit reports whether n is a page size clients may ask for.
func ValidLimit(n int) bool { return n >= 1 && n <= MaxLimit }

func (p Page) limit() int {
	if p.Limit <= 0 {
		return DefaultLimit
	}
	return min(p.Limit, MaxLimit)
}

// cursor is the sort key of a list's last item shown: a number (a time in
// Unix seconds, or a position) and an id that breaks ties.
type cursor struct {
	Key int64
	ID  string
}

const cursorVersion = "1"

func (c cursor) encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorVersion + "." + strconv.FormatInt(c.Key, 10) + "." + c.ID))
}

// decodeCursor reads a cursor; "" is the start of the list.
// Errors: EINVALID (field cursor).
func decodeCursor(s string) (c cursor, first bool, err error) {
	if s == "" {
		return c, true, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	parts := strings.SplitN(string(b), ".", 3)
	if err != nil || len(parts) != 3 || parts[0] != cursorVersion {
		return c, false, badCursor()
	}
	if c.Key, err = strconv.ParseInt(parts[1], 10, 64); err != nil || parts[2] == "" {
		return c, false, badCursor()
	}
	c.ID = parts[2]
	return c, false, nil
}

func badCursor() error {
	return invalid(problems{"cursor": "error.bad_cursor"})
}

// pageOf trims the limit+1 items a store query returned to the page, and
// returns the cursor of the next page ("" at the end of the list).
func pageOf[T any](items []T, limit int, key func(T) cursor) ([]T, string) {
	if items == nil {
		items = []T{}
	}
	if len(items) <= limit {
		return items, ""
	}
	items = items[:limit]
	return items, key(items[limit-1]).encode()
}
