package eyelevel

import "time"

// Organizations pay for counseling: a contract gives each person who redeems
// one of its access codes an allowance of sessions (credits), optionally out
// of a pool the organization pays for in total. Clients may also buy a
// package of sessions. These are the types; the rules live in the methods
// below (one home each) and in the service.

// PaidBy says who pays for an appointment.
type PaidBy string

const (
	PaidFree         PaidBy = "free"
	PaidOrganization PaidBy = "organization"
	PaidPurchase     PaidBy = "purchase"
)

// Attendance is how a session ended.
type Attendance string

const (
	AttendanceNone            Attendance = ""
	AttendanceHeld            Attendance = "held"
	AttendanceNoShowClient    Attendance = "no_show_client"
	AttendanceNoShowCounselor Attendance = "no_show_counselor"
)

// Valid reports whether a is a final attendance (not AttendanceNone).
func (a Attendance) Valid() bool {
	return a == AttendanceHeld || a == AttendanceNoShowClient || a == AttendanceNoShowCounselor
}

// Organization is a buyer of counseling: a welfare organization, a
// foundation, an employer.
type Organization struct {
	ID        string
	Name      string
	Slug      string // the landing page is /o/{slug}
	CreatedAt time.Time
}

// Contract is what an organization bought: from Starts to Ends (dates,
// inclusive, UTC), SessionsPerPerson for each person who redeems a code,
// at most Pool sessions in total (0: no pool), GraceDays after the end in
// which started courses may finish.
type Contract struct {
	ID                string
	OrganizationID    string
	OrganizationName  string // filled by reads for display
	Starts, Ends      string // YYYY-MM-DD
	SessionsPerPerson int
	Pool              int // 0: no limit in total
	PoolUsed          int // sessions drawn from the pool (booked, held, counted late cancellations and no-shows)
	GraceDays         int
	LateCancelCounts  bool   // a late cancellation or a client's no-show uses the credit
	Goals             string // what the organization expects, printed on every report
	// ClosedAt is when the exit terms were carried out: the final report
	// frozen and the link to the organization's people deleted.
	ClosedAt  time.Time
	CreatedAt time.Time
}

// Dates are in UTC: a contract runs from Starts 00:00 to the end of Ends.
const dateLayout = "2006-01-02"

// StartTime is the first moment of the contract.
func (c Contract) StartTime() time.Time {
	t, _ := time.Parse(dateLayout, c.Starts)
	return t
}

// EndTime is the first moment after the contract: the day after Ends.
func (c Contract) EndTime() time.Time {
	t, _ := time.Parse(dateLayout, c.Ends)
	return t.AddDate(0, 0, 1)
}

// GraceEnd is the first moment after the grace period.
func (c Contract) GraceEnd() time.Time { return c.EndTime().AddDate(0, 0, c.GraceDays) }

// Running reports whether the contract has started and not ended at now:
// codes work and new courses may start.
func (c Contract) Running(now time.Time) bool {
	return !now.Before(c.StartTime()) && now.Before(c.EndTime())
}

// Ended reports whether the contract is over at now (grace aside).
func (c Contract) Ended(now time.Time) bool { return !now.Before(c.EndTime()) }

// PoolLeft returns the sessions left in the pool, or -1 when there is no pool.
func (c Contract) PoolLeft() int {
	if c.Pool == 0 {
		return -1
	}
	return max(c.Pool-c.PoolUsed, 0)
}

// Credit sources.
const (
	SourceOrganization = "organization"
	SourcePurchase     = "purchase"
)

// Credit is a client's balance of sessions from one source: an
// organization's contract or a bought package.
type Credit struct {
	ID         string
	ClientID   UserID
	Source     string // SourceOrganization or SourcePurchase
	ContractID string // for SourceOrganization
	PurchaseID string // for SourcePurchase
	Granted    int    // sessions given
	Used       int    // sessions drawn and not returned
	// Started is set by the first booking on this credit: a started course
	// may finish in the contract's grace period.
	Started   bool
	ExpiresAt time.Time // for organizations the end of the grace period
	CreatedAt time.Time

	// Filled from the contract for organization credits.
	Organization string
	ContractEnd  time.Time // the contract's EndTime
	PoolLeft     int       // -1: no pool
}

// Remaining is what is left of the credit's own allowance.
func (c Credit) Remaining() int { return max(c.Granted-c.Used, 0) }

// Expires is when the credit can no longer be booked with at now: for an
// organization's credit of a course not yet started, the contract's end;
// otherwise ExpiresAt (the end of the grace period, or a package's expiry).
func (c Credit) Expires() time.Time {
	if c.Source == SourceOrganization && !c.Started && c.ContractEnd.Before(c.ExpiresAt) {
		return c.ContractEnd
	}
	return c.ExpiresAt
}

// Usable returns how many sessions the client can book with the credit at
// now: its own remainder, capped by what is left in the pool, and nothing
// once it has expired. This is the one rule of what a credit is worth.
func (c Credit) Usable(now time.Time) int {
	if !now.Before(c.Expires()) {
		return 0
	}
	n := c.Remaining()
	if c.Source == SourceOrganization && c.PoolLeft >= 0 {
		n = min(n, c.PoolLeft)
	}
	return n
}

// UsableFor returns how many sessions the client can book with the credit
// at now for a session starting at start: what Usable gives, and nothing
// when the session starts at or after ExpiresAt (the end of the grace
// period, or a package's expiry), so that a credit expiring tomorrow does
// not pay for a session weeks ahead.
func (c Credit) UsableFor(now, start time.Time) int {
	if !start.Before(c.ExpiresAt) {
		return 0
	}
	return c.Usable(now)
}

// Pricing is what the operator charges. SessionPrice 0 means sessions are
// free (the default).
type Pricing struct {
	Currency     string // ISO 4217, upper case
	SessionPrice int64  // in minor units (cents)
	Packages     []int  // package sizes a client may buy, e.g. 1, 3, 5
}

// Charging reports whether booking needs a credit.
func (p Pricing) Charging() bool { return p.SessionPrice > 0 }

// Purchase statuses.
const (
	PurchaseOpen              = "open"
	PurchasePaid              = "paid"
	PurchaseExpired           = "expired"
	PurchaseRefunded          = "refunded"
	PurchasePartiallyRefunded = "partially_refunded"
)

// Purchase is a package of sessions a client buys through Stripe Checkout.
type Purchase struct {
	ID              string
	ClientID        UserID
	Sessions        int
	Amount          int64 // SessionPrice × Sessions at the time of purchase, minor units
	UnitPrice       int64
	Currency        string
	Status          string
	CheckoutSession string // Stripe's Checkout Session id
	CheckoutURL     string
	PaymentIntent   string
	RefundedAmount  int64
	CreatedAt       time.Time
	PaidAt          time.Time
}
