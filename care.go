package eyelevel

import "time"

// The care program's records: what clients answer, rate and write.

// Response is one filled-in questionnaire.
type Response struct {
	ID         string
	ClientID   UserID
	Instrument string
	Language   string
	Occasion   string // selftest, intake, post, followup or checkin
	Answers    []int
	Score      int
	Band       string
	Safety     bool
	CreatedAt  time.Time
	// Sealed holds Answers, Score, Band and Safety at rest, sealed with
	// the client's data key; a response read from the database has them
	// zero until the service opens it (service/encrypt_care.go).
	Sealed []byte
}

// SafetyAlert is a signal that a client may be in danger: a safety item
// answered above 0, or the client asking for their counselor to know.
type SafetyAlert struct {
	ID             string
	ClientID       UserID
	ClientUsername string
	Source         string // questionnaire or client
	ResponseID     string
	CreatedAt      time.Time
	AcknowledgedAt time.Time
	AcknowledgedBy UserID
	// Sealed holds Source and ResponseID at rest (see Response.Sealed).
	Sealed []byte
}

// Rating is a client's rating of one session; Stars 0 means they declined.
type Rating struct {
	AppointmentID AppointmentID
	CounselorID   UserID
	ClientID      UserID
	Stars         int
	Comment       string
	CreatedAt     time.Time
	// CommentSealed holds Comment at rest (see Response.Sealed).
	CommentSealed []byte
}

// Reflection is a client's sealed text on one program step.
type Reflection struct {
	ClientID  UserID
	Step      int
	Sealed    []byte
	Done      bool
	SharedAt  time.Time // zero when not shared with the counselor
	UpdatedAt time.Time
}
