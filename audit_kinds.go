package eyelevel

import "strings"

// Staff actions on an account, recorded in the access log beside the View*
// reads (see audit.go). The subject is the account acted on; a client
// reads each through the catalog key "audit.what.<kind>".
const (
	ActionCarePointRegister = "action.carepoint_register" // a care point created the client's account
	ActionCarePointBook     = "action.carepoint_book"     // a care point booked a session for the client
	ActionCarePointCancel   = "action.carepoint_cancel"   // a care point cancelled one of the client's sessions
	ActionCounselorCreate   = "action.counselor_create"   // an admin created a counselor account
	ActionCounselorUpdate   = "action.counselor_update"   // an admin changed a counselor's profile
	ActionAvailabilitySet   = "action.availability"       // an admin changed a counselor's hours
	ActionStaffAdd          = "action.staff_add"          // an organization's staff account was created
	ActionAppointmentCancel = "action.appointment_cancel" // the other side (counselor) cancelled a session
	ActionAttendance        = "action.attendance"         // the counselor recorded whether a session was held
	ActionRefund            = "action.refund"             // an admin refunded a purchase
	ActionHandoverPropose   = "action.handover_propose"   // the counselor proposed a colleague to the client

	// CareAlertAcknowledge is an action about health data (that there was
	// a safety alert): the client sees it in their log, admins never do.
	CareAlertAcknowledge = "care.alert_acknowledge"

	// Kinds of the other issue 12 work, worded here so every log reads
	// them the same way.
	ActionSecondFactorReset = "action.second_factor_reset" // an admin reset a staff member's second factor
	ActionAccountDeleted    = "action.account_deleted"     // the tombstone of a deleted account

	ActionCounselorDeactivate = "action.counselor_deactivate" // an admin deactivated a counselor
	ActionCounselorReactivate = "action.counselor_reactivate" // an admin reactivated a counselor
	ActionCounselorCancelAll  = "action.counselor_cancel_all" // an admin cancelled a deactivated counselor's sessions
)

// AuditKinds are every kind the access log words (View*, Action*, Care*).
var AuditKinds = []string{
	ViewClient, ViewResults, ViewAlerts, ViewSteps, ViewMessages, ViewCarePoint, ViewExport, ViewCaseload,
	ActionCarePointRegister, ActionCarePointBook, ActionCarePointCancel, ActionCounselorCreate,
	ActionCounselorUpdate, ActionAvailabilitySet, ActionStaffAdd, ActionAppointmentCancel,
	ActionAttendance, ActionRefund, ActionHandoverPropose, CareAlertAcknowledge,
	ActionSecondFactorReset, ActionAccountDeleted,
	ActionCounselorDeactivate, ActionCounselorReactivate, ActionCounselorCancelAll,
}

// AuditForAdmins reports whether admins may see entries of kind what: staff
// actions, but no reads of a client's data (view.*), nothing about health
// (care.*) and no erased entries.
func AuditForAdmins(what string) bool {
	return what != AuditErased && !strings.HasPrefix(what, "view.") && !strings.HasPrefix(what, "care.")
}

// ViewCaseload is a counselor's list of their clients (sessions held, the
// next one, whether a safety alert is open): one entry per client listed.
const ViewCaseload = "view.caseload"
