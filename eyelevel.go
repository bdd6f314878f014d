// Package eyelevel holds the domain of the counseling portal: the types every
// other package speaks in, and the error codes they return. It imports no
// infrastructure; the dependency direction is cmd → web → service → store →
// eyelevel.
package eyelevel

import (
	"crypto/rand"
	"encoding/base32"
	"slices"
	"strings"
	"time"
)

// Typed identifiers stop one kind of ID from being passed as another.
type (
	UserID        string
	AppointmentID string
)

// NewID returns a random 128-bit identifier in lower-case base32. IDs are
// random rather than sequential so that they reveal nothing about how many
// clients or appointments exist.
func NewID() string {
	var b [16]byte
	rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// Role is what an account may do.
type Role string

const (
	RoleClient    Role = "client"
	RoleCounselor Role = "counselor"
	RoleAdmin     Role = "admin"
	// RoleCarePoint is a social worker at an organization's care point, who
	// registers clients with their consent and books for them.
	RoleCarePoint Role = "carepoint"
	// RoleOrgAdmin manages one organization's contracts, codes, care-point
	// staff and reports — never anything about a single person.
	RoleOrgAdmin Role = "orgadmin"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleClient, RoleCounselor, RoleAdmin, RoleCarePoint, RoleOrgAdmin:
		return true
	}
	return false
}

// OfOrganization reports whether r is a staff role that belongs to one
// organization.
func (r Role) OfOrganization() bool { return r == RoleCarePoint || r == RoleOrgAdmin }

// User is an account. Clients are pseudonymous: the username is all we know,
// plus an optional email used only for notifications.
type User struct {
	ID           UserID
	Username     string
	Role         Role
	PasswordHash string
	// Email is the address in plain text: set when an account is created
	// or changed, and by the service's openEmail after a read. At rest the
	// address is EmailSealed (with the user's data key), found by
	// EmailHash (see service/encrypt_email.go); a user read from the
	// database has Email "" until opened.
	Email       string
	EmailSealed []byte
	EmailHash   string
	// EmailVerified: mail goes to Email only once its owner opened the
	// verification link (or an admin entered it).
	EmailVerified bool
	Language      string // UI language, BCP 47
	TimeZone      string // IANA name
	CreatedAt     time.Time
	// NotifyOff lists the notification kinds the user switched off.
	NotifyOff []string
	// LastActive is the user's last request in the app (to the minute).
	LastActive time.Time
}

// Notification kinds a user may switch off in their settings. Mails about
// the account itself (verification, password reset) and safety alerts to
// counselors and the duty contact always go.
const (
	NotifyAppointments = "appointments" // confirmations, cancellations, changes
	NotifyReminders    = "reminders"
	NotifyMessages     = "messages"
	NotifyWaitlist     = "waitlist"
)

// Notifications lists the kinds in the order settings show them.
var Notifications = []string{NotifyAppointments, NotifyReminders, NotifyMessages, NotifyWaitlist}

// Wants reports whether u receives notifications of kind by mail: they
// have a verified address and did not switch the kind off.
func (u User) Wants(kind string) bool {
	return u.HasEmail() && u.EmailVerified && !slices.Contains(u.NotifyOff, kind)
}

// HasEmail reports whether u has an address, opened or sealed.
func (u User) HasEmail() bool { return u.Email != "" || len(u.EmailSealed) > 0 }

// Actor is who performs an action. The zero Actor is anonymous.
type Actor struct {
	UserID   UserID
	Role     Role
	Language string // the language this request is answered in (the web layer negotiates it)
	TimeZone string
	// Limited marks a staff session started without a second factor: it
	// may only enrol one (see service/secondfactor.go), nothing else.
	Limited bool
}

// Anonymous reports whether nobody is logged in.
func (a Actor) Anonymous() bool { return a.UserID == "" }

// Gender of a counselor, used by clients who prefer to talk to a woman or a man.
type Gender string

const (
	GenderFemale  Gender = "female"
	GenderMale    Gender = "male"
	GenderDiverse Gender = "diverse"
)

// Valid reports whether g is a known gender.
func (g Gender) Valid() bool {
	return g == GenderFemale || g == GenderMale || g == GenderDiverse
}

// LanguageSkill is one language a counselor speaks.
type LanguageSkill struct {
	Code   string `json:"code"` // ISO 639 (with region where it matters, e.g. fa-AF)
	Native bool   `json:"native"`
}

// Counselor is a counselor's public profile; the account is the User with the same ID.
type Counselor struct {
	ID             UserID
	Username       string
	DisplayName    string
	Gender         Gender
	Languages      []LanguageSkill
	TimeZone       string
	Bio            string
	Qualifications string
	// ReplyDays is how many working days they take to answer a message.
	ReplyDays int
}

// Speaks reports whether the counselor speaks code, and natively.
func (c Counselor) Speaks(code string) (speaks, native bool) {
	for _, l := range c.Languages {
		if l.Code == code {
			return true, l.Native
		}
	}
	return false, false
}

// WeeklyWindow is a recurring window of availability in the counselor's zone.
// Start and End are minutes after local midnight; End may be 1440.
type WeeklyWindow struct {
	Weekday time.Weekday
	Start   int
	End     int
}

// Exception changes availability on one local date: Available=false with no
// times is a whole-day absence; with times it blocks only that window;
// Available=true adds extra hours.
type Exception struct {
	Date      string // YYYY-MM-DD in the counselor's zone
	Available bool
	Start     int // minutes after midnight; 0 and 0 mean the whole day
	End       int
}

// Availability is a counselor's whole schedule.
type Availability struct {
	Weekly     []WeeklyWindow
	Exceptions []Exception
}

// Slot is a bookable interval, in UTC.
type Slot struct {
	Start time.Time
	End   time.Time
}

// AppointmentStatus is the life cycle of an appointment.
type AppointmentStatus string

const (
	StatusBooked    AppointmentStatus = "booked"
	StatusCancelled AppointmentStatus = "cancelled"
)

// Appointment is one booked counseling session.
type Appointment struct {
	ID          AppointmentID
	CounselorID UserID
	ClientID    UserID
	Start       time.Time
	End         time.Time
	Status      AppointmentStatus
	CreatedAt   time.Time
	CancelledAt time.Time
	CancelledBy UserID
	// LateCancel is set when the client cancelled within the notice period.
	LateCancel bool

	// Who pays (see org.go): PaidBy, and the credit drawn and the contract
	// it belongs to when an organization or a package pays. ContractID is
	// cleared when the contract's exit deletes the link to its people.
	PaidBy     PaidBy
	CreditID   string
	ContractID string
	// BookedBy is the care-point staff member who booked on the client's
	// behalf, or empty.
	BookedBy UserID
	// Attendance is how the session ended; empty until the room closed.
	Attendance   Attendance
	AttendanceBy string // "auto", or the counselor's correction ("counselor")
	AttendanceAt time.Time

	// Filled by listings for display.
	CounselorName  string
	ClientUsername string
}

// ICEServer is a STUN or TURN server a browser may use to reach its peer,
// with short-lived credentials for TURN.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// Room is the video room of one appointment. It exists only while open;
// media flows between the two browsers, never through the server.
type Room struct {
	Appointment Appointment
	OpensAt     time.Time
	ClosesAt    time.Time
	Role        Role // the actor's side: RoleClient or RoleCounselor
	ICEServers  []ICEServer
}

// Room event kinds, the only metadata kept about a session.
const (
	RoomJoined = "joined"
	RoomLeft   = "left"
)
