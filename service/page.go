package service

import (
	"context"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"time"

	"eyelevel"
	"eyelevel/store"
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

// PageSlice pages a list the service built in memory — lists bounded by
// something small, such as the counselors or the languages offered, whose
// order is computed rather than stored. The cursor holds the position after
// the last item shown and that item's id: if the list changed meanwhile,
// the next page continues after that item where it now is.
// Errors: EINVALID (cursor).
func PageSlice[T any](items []T, pg Page, id func(T) string) ([]T, string, error) {
	c, first, err := decodeCursor(pg.Cursor)
	if err != nil {
		return nil, "", err
	}
	start := 0
	if !first {
		if c.Key < 0 {
			return nil, "", badCursor()
		}
		start = int(min(c.Key, int64(len(items))))
		if i := slices.IndexFunc(items, func(t T) bool { return id(t) == c.ID }); i >= 0 {
			start = i + 1
		}
	}
	rest, limit := items[start:], pg.limit()
	if len(rest) <= limit {
		return rest, "", nil
	}
	rest = rest[:limit]
	return rest, cursor{Key: int64(start + limit), ID: id(rest[limit-1])}.encode(), nil
}

// after turns a cursor into the store's position.
func (c cursor) after() store.After {
	return store.After{At: time.Unix(c.Key, 0), ID: c.ID}
}

// ResponsesPage is Responses a page at a time, with the next page's cursor.
// Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID (cursor).
func (s *Service) ResponsesPage(ctx context.Context, a eyelevel.Actor, instrument string, pg Page) ([]Scored, string, error) {
	if err := requireRole(a, eyelevel.RoleClient); err != nil {
		return nil, "", err
	}
	c, _, err := decodeCursor(pg.Cursor)
	if err != nil {
		return nil, "", err
	}
	rs, err := s.db.ResponsesPage(ctx, a.UserID, instrument, c.after(), pg.limit()+1)
	if err != nil {
		return nil, "", err
	}
	if err := s.keys().openResponses(ctx, rs); err != nil {
		return nil, "", err
	}
	rs, next := pageOf(rs, pg.limit(), func(r eyelevel.Response) cursor { return cursor{Key: r.CreatedAt.Unix(), ID: r.ID} })
	return s.rescore(rs, a.Language), next, nil
}

// SafetyAlertsPage is SafetyAlerts a page at a time, newest first, with the
// next page's cursor. Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID (cursor).
func (s *Service) SafetyAlertsPage(ctx context.Context, a eyelevel.Actor, pg Page) ([]eyelevel.SafetyAlert, string, error) {
	if err := requireRole(a, eyelevel.RoleCounselor); err != nil {
		return nil, "", err
	}
	c, _, err := decodeCursor(pg.Cursor)
	if err != nil {
		return nil, "", err
	}
	var as []eyelevel.SafetyAlert
	var next string
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		if as, err = s.openAlerts(ctx)(s.db.OpenSafetyAlertsPage(ctx, a.UserID, s.careSince(), c.after(), pg.limit()+1)); err != nil {
			return err
		}
		as, next = pageOf(as, pg.limit(), func(al eyelevel.SafetyAlert) cursor { return cursor{Key: al.CreatedAt.Unix(), ID: al.ID} })
		return s.logAlerts(ctx, a, as)
	})
	if err != nil {
		return nil, "", err
	}
	return as, next, nil
}

// UnratedSessionsPage is UnratedSessions a page at a time, the latest
// ended first. Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID (cursor).
func (s *Service) UnratedSessionsPage(ctx context.Context, a eyelevel.Actor, pg Page) ([]eyelevel.Appointment, string, error) {
	if err := requireRole(a, eyelevel.RoleClient); err != nil {
		return nil, "", err
	}
	c, _, err := decodeCursor(pg.Cursor)
	if err != nil {
		return nil, "", err
	}
	now := s.now().UTC()
	as, err := s.db.UnratedSessionsPage(ctx, a.UserID, now.Add(-ratingWindow), now, c.after(), pg.limit()+1)
	if err != nil {
		return nil, "", err
	}
	as, next := pageOf(as, pg.limit(), func(ap eyelevel.Appointment) cursor { return cursor{Key: ap.End.Unix(), ID: string(ap.ID)} })
	return as, next, nil
}

// readAll reads a whole list a page at a time, for the data export, which
// must never be cut off.
func readAll[T any](read func(after store.After, limit int) ([]T, error), key func(T) store.After) ([]T, error) {
	const size = 500
	var out []T
	var after store.After
	for {
		page, err := read(after, size)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < size {
			return out, nil
		}
		after = key(page[len(page)-1])
	}
}
