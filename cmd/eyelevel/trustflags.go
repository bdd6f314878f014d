package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// trustConfig holds the settings of issue 12's data protection: how long
// inactive client accounts and the access log are kept.
type trustConfig struct {
	retention      months // inactive client accounts are deleted after this
	auditRetention months // access-log entries are deleted after this
}

func (t *trustConfig) flags(fs *flag.FlagSet) {
	t.retention = 24
	t.auditRetention = 24
	fs.Var(&t.retention, "retention", "delete client accounts without a login or session for this long, after a warning 30 days ahead (months, e.g. 24mo; at least 2mo)")
	fs.Var(&t.auditRetention, "audit-retention", "delete access-log entries older than this (months, e.g. 24mo; the legal period where you operate)")
}

func (t trustConfig) check() error {
	if t.retention < 2 {
		return errors.New("--retention must be at least 2mo (the warning goes 30 days ahead)")
	}
	if t.auditRetention < 1 {
		return errors.New("--audit-retention must be at least 1mo")
	}
	return nil
}

// months is a flag value in whole months: "24mo", or "24" alone.
type months int

func (m *months) String() string { return strconv.Itoa(int(*m)) + "mo" }

func (m *months) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(s), "mo"))
	if err != nil || n < 0 || n > 1200 {
		return fmt.Errorf("want a number of months such as 24mo, not %q", s)
	}
	*m = months(n)
	return nil
}

func (m *months) Get() any { return int(*m) }

// duration is m months as a time span of 30-day months plus a day per
// two months, close enough to the calendar for a retention period.
func (m months) duration() time.Duration {
	return time.Duration(m) * (30*24*time.Hour + 12*time.Hour)
}
