package service

import (
	"context"
	"time"

	"eyelevel"
	"eyelevel/store"
)

// WorkSession is one of the counselor's sessions this week; Today is set
// for those on the counselor's calendar day. (Whether the client waits in
// the room is the signaling hub's to say; the web layer asks it.)
type WorkSession struct {
	store.WorkSession
	Today bool
}

// ClientTasks are the outcome questionnaires due for one of the
// counselor's clients.
type ClientTasks struct {
	ClientID eyelevel.UserID
	Username string
	Tasks    []Task
}

// Unread is a conversation with messages from the client the counselor
// has not read; Last is the conversation's latest message.
type Unread struct {
	ClientID eyelevel.UserID
	Username string
	Count    int
	Last     time.Time
}

// Workspace is a counselor's dashboard: open safety alerts first, then the
// sessions of the next seven days, unread messages, and the outcome
// questionnaires their clients have still to fill in.
type Workspace struct {
	Alerts   []eyelevel.SafetyAlert
	Sessions []WorkSession
	Unread   []Unread
	Tasks    []ClientTasks
}

// workspaceWeek is how far ahead the dashboard lists sessions.
const workspaceWeek = 7 * 24 * time.Hour

// Workspace returns the acting counselor's dashboard. Errors:
// EUNAUTHORIZED, EFORBIDDEN (not a counselor; organization staff get
// ENOTFOUND).
func (s *Service) Workspace(ctx context.Context, a eyelevel.Actor) (Workspace, error) {
	if err := requireCounselor(a); err != nil {
		return Workspace{}, err
	}
	now := s.now().UTC()
	var w Workspace
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		if w.Alerts, err = s.openAlerts(ctx)(s.db.OpenSafetyAlerts(ctx, a.UserID, "", s.careSince())); err != nil {
			return err
		}
		return s.logAlerts(ctx, a, w.Alerts)
	})
	if err != nil {
		return Workspace{}, err
	}
	ss, err := s.db.CounselorSessions(ctx, a.UserID, now, now.Add(workspaceWeek))
	if err != nil {
		return Workspace{}, err
	}
	zone := zoneOf(a.TimeZone)
	if c, err := s.db.Counselor(ctx, a.UserID); err == nil {
		zone = zoneOf(c.TimeZone)
	}
	today := now.In(zone).Format(time.DateOnly)
	for _, x := range ss {
		w.Sessions = append(w.Sessions, WorkSession{WorkSession: x, Today: x.Start.In(zone).Format(time.DateOnly) == today})
	}
	cs, err := s.db.Conversations(ctx, a.UserID, conversationsMax)
	if err != nil {
		return Workspace{}, err
	}
	for _, c := range cs {
		if c.StaffID == a.UserID && c.Unread > 0 {
			w.Unread = append(w.Unread, Unread{ClientID: c.ClientID, Username: c.ClientUsername, Count: c.Unread, Last: c.LastAt})
		}
	}
	cl, err := s.db.Caseload(ctx, a.UserID, s.careSince(), now)
	if err != nil {
		return Workspace{}, err
	}
	for _, c := range cl {
		ts, err := s.outcomeTasks(ctx, c.ClientID, now)
		if err != nil {
			return Workspace{}, err
		}
		if len(ts) > 0 {
			w.Tasks = append(w.Tasks, ClientTasks{ClientID: c.ClientID, Username: c.Username, Tasks: ts})
		}
	}
	return w, nil
}

// Caseload lists the acting counselor's clients (store.IsClientOf's rule:
// a session upcoming or ended within CareAccess, or an accepted hand-over)
// with their next and last session, sessions held and whether a safety
// alert is open. Errors: EUNAUTHORIZED, EFORBIDDEN.
func (s *Service) Caseload(ctx context.Context, a eyelevel.Actor) ([]store.CaseloadRow, error) {
	if err := requireCounselor(a); err != nil {
		return nil, err
	}
	var cl []store.CaseloadRow
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		if cl, err = s.db.Caseload(ctx, a.UserID, s.careSince(), s.now().UTC()); err != nil {
			return err
		}
		ids := make([]eyelevel.UserID, len(cl))
		for i, c := range cl {
			ids[i] = c.ClientID
		}
		return s.logAccessEach(ctx, a, ids, eyelevel.ViewCaseload)
	})
	return cl, err
}
