// Package ical writes calendar objects (RFC 5545) for the appointment
// mails and the counselors' calendar feed: one VCALENDAR with its METHOD
// (RFC 5546) and its events, CRLF line ends, lines folded at 75 octets
// without splitting a UTF-8 character, and text escaped.
package ical

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Methods of a calendar object (RFC 5546).
const (
	Request = "REQUEST" // a new or changed event: calendar apps add or update it
	Cancel  = "CANCEL"  // the event is cancelled: calendar apps remove it
	Publish = "PUBLISH" // a feed: the events as they are
)

// ProdID names eyelevel as the product that wrote the object.
const ProdID = "-//eyelevel//eyelevel//EN"

// Person is an organizer or attendee: an address with a display name.
type Person struct {
	Name  string
	Email string
}

// Event is one VEVENT.
type Event struct {
	UID        string // stable for the appointment across changes
	Sequence   int    // raised by every change calendar apps must apply
	Start, End time.Time
	Summary    string
	URL        string
	// Organizer and Attendees make a REQUEST or CANCEL acceptable to
	// calendar apps; a PUBLISH feed leaves them out.
	Organizer *Person
	Attendees []Person
	Cancelled bool // STATUS:CANCELLED
}

// Calendar is a calendar object.
type Calendar struct {
	Method string
	Name   string // X-WR-CALNAME, the feed's name in calendar apps; may be empty
	Stamp  time.Time
	Events []Event
}

// String returns the object in its wire form.
func (c Calendar) String() string {
	var w writer
	w.prop("BEGIN", "VCALENDAR")
	w.prop("PRODID", ProdID)
	w.prop("VERSION", "2.0")
	w.prop("CALSCALE", "GREGORIAN")
	if c.Method != "" {
		w.prop("METHOD", c.Method)
	}
	if c.Name != "" {
		w.prop("X-WR-CALNAME", Escape(c.Name))
	}
	for _, e := range c.Events {
		w.prop("BEGIN", "VEVENT")
		w.prop("UID", Escape(e.UID))
		w.prop("SEQUENCE", strconv.Itoa(e.Sequence))
		w.prop("DTSTAMP", UTC(c.Stamp))
		w.prop("DTSTART", UTC(e.Start))
		w.prop("DTEND", UTC(e.End))
		w.prop("SUMMARY", Escape(e.Summary))
		if e.URL != "" {
			w.prop("URL", e.URL)
		}
		if e.Organizer != nil {
			w.prop("ORGANIZER"+cn(e.Organizer.Name), "mailto:"+e.Organizer.Email)
		}
		for _, a := range e.Attendees {
			w.prop("ATTENDEE"+cn(a.Name)+";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE", "mailto:"+a.Email)
		}
		status := "CONFIRMED"
		if e.Cancelled {
			status = "CANCELLED"
		}
		w.prop("STATUS", status)
		w.prop("TRANSP", "OPAQUE")
		w.prop("END", "VEVENT")
	}
	w.prop("END", "VCALENDAR")
	return w.b.String()
}

// cn is a CN parameter with name quoted (DQUOTE and control characters
// cannot occur in a quoted parameter value, so they are dropped).
func cn(name string) string {
	if name == "" {
		return ""
	}
	name = strings.Map(func(r rune) rune {
		if r == '"' || r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	return `;CN="` + name + `"`
}

// UTC formats t as a UTC DATE-TIME (20261201T090000Z).
func UTC(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// Escape escapes a TEXT value: backslash, semicolon, comma and newlines.
func Escape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`)
	return r.Replace(s)
}

type writer struct{ b strings.Builder }

// prop writes "name:value" folded: no line longer than 75 octets, a fold
// never inside a UTF-8 sequence, each continuation starting with a space.
func (w *writer) prop(name, value string) {
	line := name + ":" + value
	limit := 75
	for len(line) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		w.b.WriteString(line[:cut])
		w.b.WriteString("\r\n ")
		line = line[cut:]
		limit = 74 // the leading space counts
	}
	w.b.WriteString(line)
	w.b.WriteString("\r\n")
}
