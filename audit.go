package eyelevel

import "time"

// AuditEntry is one line of the access log: who (ActorID, ActorRole) did
// What to whose account (SubjectID) at At. Entries form a hash chain (see
// store/audit.go); Digest, Prev and Hash are the chain's.
type AuditEntry struct {
	Seq       int64
	At        time.Time
	ActorID   UserID
	ActorRole Role
	SubjectID UserID
	What      string
	Digest    string
	Prev      string
	Hash      string
	// Erases is set on the tombstone appended when an account's entries
	// were erased: the seqs it erased as ranges ("12-15,40"), covered by
	// its digest, so every erased entry is accounted for.
	Erases string
}

// Erased reports whether the entry was erased with its subject's account:
// its fields are blank, its digest keeps the chain whole.
func (e AuditEntry) Erased() bool { return e.What == AuditErased }

// Access-log kinds. View* are reads of a client's data by someone else;
// the others are staff actions on an account. The client's own log words
// each through the catalog key "audit.what.<kind>".
const (
	ViewClient    = "view.client"    // the client page of a counselor or admin
	ViewResults   = "view.results"   // questionnaire results
	ViewAlerts    = "view.alerts"    // safety alerts
	ViewSteps     = "view.steps"     // program steps the client shared
	ViewMessages  = "view.messages"  // the conversation with the client
	ViewCarePoint = "view.carepoint" // a care point's view of its client
	ViewExport    = "view.export"    // an admin's export of the account

	AuditErased = "erased" // a blanked entry (see Erased)
)
