package store

import (
	"context"
	"slices"
	"sync"
	"time"

	"eyelevel"
)

// A search lists hundreds of counselors with their schedules, and reading
// their profiles, languages, weekly windows and exceptions was most of the
// rows it read, though they change rarely. So the store keeps them in
// memory as a Directory, labelled with the counselor_version that triggers
// bump in the same transaction as any change to those tables (migration
// 0006). A caller gets a Directory checked against the database with one
// one-row read, so a change made through another instance (PostgreSQL) is
// seen at once; Book instead checks the label inside its transaction, under
// the counselor's lock.

// Directory is every counselor's profile, languages and schedule as of one
// counselor version. It is immutable and safe for concurrent use.
type Directory struct {
	// Version is the counselor_version the data is at least as new as.
	Version int64
	since   string // exceptions dated before this YYYY-MM-DD are left out
	byID    map[eyelevel.UserID]*dirEntry
	byLang  map[string][]*dirEntry // by display name
	derived sync.Map               // key → *derivedValue, see Derived
}

type derivedValue struct {
	once sync.Once
	v    any
}

type dirEntry struct {
	c  eyelevel.Counselor
	av eyelevel.Availability
}

// directoryCache holds a DB's latest Directory.
type directoryCache struct {
	mu    sync.Mutex
	cur   *Directory
	stale bool       // a transaction saw a newer version
	load  sync.Mutex // one load at a time; the others wait and reuse it
}

func (c *directoryCache) get() (*Directory, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cur, c.stale
}

// Directory returns the counselors' directory, current as of the call,
// holding the exceptions that matter for slots from the instant from on (as
// AvailabilityFrom). It reads the version and reloads the directory only
// when that changed: then it reads all counselors and schedules, once for
// all callers that wait meanwhile. Outside transactions only.
func (db *DB) Directory(ctx context.Context, from time.Time) (*Directory, error) {
	v, err := db.CounselorVersion(ctx)
	if err != nil {
		return nil, err
	}
	if d, _ := db.dir.get(); d.usable(v, from) {
		return d, nil
	}
	db.dir.load.Lock()
	defer db.dir.load.Unlock()
	if d, _ := db.dir.get(); d.usable(v, from) {
		return d, nil // loaded while we waited
	}
	return db.loadDirectory(ctx, from)
}

// CachedDirectory returns the directory last loaded without asking the
// database whether it is current, or, when there is none that covers from
// or a transaction found it outdated, Directory's. Callers must check
// Version where it matters, as Book does with BookingCheck.Version.
func (db *DB) CachedDirectory(ctx context.Context, from time.Time) (*Directory, error) {
	if d, stale := db.dir.get(); d != nil && !stale && d.covers(from) {
		return d, nil
	}
	return db.Directory(ctx, from)
}

// CounselorVersion returns the current counselor_version.
func (db *DB) CounselorVersion(ctx context.Context) (int64, error) {
	var v int64
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT version FROM counselor_version WHERE id = 1`).Scan(&v)
	return v, db.wrap(err, "select counselor version")
}

func (d *Directory) usable(v int64, from time.Time) bool {
	return d != nil && d.Version == v && d.covers(from)
}

func (d *Directory) covers(from time.Time) bool {
	return d.since <= exceptionsSince(from)
}

// loadDirectory reads everything after reading the version, so the data is
// at least as new as the label: a change committed in between makes the
// next check reload.
func (db *DB) loadDirectory(ctx context.Context, from time.Time) (*Directory, error) {
	v, err := db.CounselorVersion(ctx)
	if err != nil {
		return nil, err
	}
	cs, err := db.Counselors(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]eyelevel.UserID, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	avs, err := db.AvailabilityFrom(ctx, ids, from)
	if err != nil {
		return nil, err
	}
	off, err := db.DeactivatedCounselors(ctx) // hidden from search and booking
	if err != nil {
		return nil, err
	}
	d := &Directory{Version: v, since: exceptionsSince(from), byID: make(map[eyelevel.UserID]*dirEntry, len(cs)), byLang: map[string][]*dirEntry{}}
	for _, c := range cs { // by display name, as Counselors returns them
		if _, ok := off[c.ID]; ok {
			continue
		}
		e := &dirEntry{c: c, av: avs[c.ID]}
		d.byID[c.ID] = e
		for _, l := range c.Languages {
			d.byLang[l.Code] = append(d.byLang[l.Code], e)
		}
	}
	db.dir.mu.Lock()
	db.dir.cur, db.dir.stale = d, false
	db.dir.mu.Unlock()
	return d, nil
}

// markDirectoryStale makes the next CachedDirectory check the version: a
// transaction found it newer than v.
func (db *DB) markDirectoryStale(v int64) {
	db.dir.mu.Lock()
	defer db.dir.mu.Unlock()
	if db.dir.cur != nil && db.dir.cur.Version == v {
		db.dir.stale = true
	}
}

// ByLanguage is CounselorsByLanguage from memory, ordered by display name.
func (d *Directory) ByLanguage(code string, gender eyelevel.Gender) []eyelevel.Counselor {
	var out []eyelevel.Counselor
	for _, e := range d.byLang[code] {
		if gender == "" || e.c.Gender == gender {
			out = append(out, e.counselor())
		}
	}
	return out
}

// Counselor returns one counselor's profile.
func (d *Directory) Counselor(id eyelevel.UserID) (eyelevel.Counselor, bool) {
	e := d.byID[id]
	if e == nil {
		return eyelevel.Counselor{}, false
	}
	return e.counselor(), true
}

// Availability returns a counselor's schedule, as AvailabilityFrom with an
// instant that d covers. Callers must not modify it.
func (d *Directory) Availability(id eyelevel.UserID) eyelevel.Availability {
	if e := d.byID[id]; e != nil {
		return e.av
	}
	return eyelevel.Availability{}
}

// Derived returns build's result for key, built once per Directory: for data
// computed from the directory (such as prepared schedules) that should live
// exactly as long as it does. build must not call Derived with the same key.
func (d *Directory) Derived(key any, build func() any) any {
	dv, _ := d.derived.LoadOrStore(key, &derivedValue{})
	v := dv.(*derivedValue)
	v.once.Do(func() { v.v = build() })
	return v.v
}

// counselor returns a copy that callers may modify.
func (e *dirEntry) counselor() eyelevel.Counselor {
	c := e.c
	c.Languages = slices.Clone(c.Languages)
	return c
}
