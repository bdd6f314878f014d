package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/service/servicetest"
)

// msgAPIWorld is newWorld with a master key and mail on (with a duty
// contact), so that messages can be sealed and alerts escalated.
func msgAPIWorld(tb testing.TB) *world {
	tb.Helper()
	w := newWorld(tb)
	w.svc = service.New(w.db, service.Config{SecondFactorOptional: true, Password: servicetest.CheapPasswords, Keys: servicetest.Keys(1), SessionsPerDay: -1,
		Mail: service.MailConfig{On: true, PublicURL: "https://eyelevel.example", DutyEmail: "duty@operator.example"}}, nil, w.clock.Now)
	useService(w)
	return w
}

// msgPeer is the other side of client A's conversation with counselor X
// as who sees it: X for clients, A for everyone else.
func msgPeer(w *world, who role) eyelevel.UserID {
	if who == clientA || who == clientB {
		return w.ids[counselorX]
	}
	return w.ids[clientA]
}

// TestMsgAPIAuthorization: the relationship rule over HTTP, as a table of
// callers × list, read and write of the conversation of client A and
// counselor X (A booked X; B booked Y).
func TestMsgAPIAuthorization(t *testing.T) {
	w := msgAPIWorld(t)
	cases := []struct {
		who               role
		list, read, write int
	}{
		{anon, 401, 401, 401},
		{clientA, 200, 200, 201},
		{clientB, 200, 404, 404},
		{counselorX, 200, 200, 201},
		{counselorY, 200, 404, 404},
		{admin, 200, 404, 404},
	}
	for _, c := range cases {
		path := "/api/v1/conversations/" + string(msgPeer(w, c.who)) + "/messages"
		if r := w.do(t, c.who, "GET", "/api/v1/conversations", nil); r.Status != c.list {
			t.Errorf("%s: list = %d, want %d", c.who, r.Status, c.list)
		}
		if r := w.do(t, c.who, "GET", path, nil); r.Status != c.read {
			t.Errorf("%s: read = %d, want %d", c.who, r.Status, c.read)
		}
		if r := w.do(t, c.who, "POST", path, map[string]string{"text": "Guten Tag"}); r.Status != c.write {
			t.Errorf("%s: write = %d, want %d: %s", c.who, r.Status, c.write, r.Body)
		}
	}
	// Other lists never show A and X's conversation, and no list holds text.
	for _, who := range []role{clientB, counselorY, admin} {
		r := w.do(t, who, "GET", "/api/v1/conversations", nil)
		if strings.Contains(string(r.Body), string(w.ids[clientA])) || strings.Contains(string(r.Body), "Guten Tag") {
			t.Errorf("%s's list shows A's conversation: %s", who, r.Body)
		}
	}
	r := w.do(t, counselorX, "GET", "/api/v1/conversations", nil)
	if strings.Contains(string(r.Body), "Guten Tag") || !strings.Contains(string(r.Body), `"name":"client-a"`) {
		t.Errorf("counselor's list: %s", r.Body)
	}
}

// TestMsgAPIBadInput: empty, too long, malformed and misaddressed messages
// get a 4xx with the error shape, and nothing is stored.
func TestMsgAPIBadInput(t *testing.T) {
	w := msgAPIWorld(t)
	path := "/api/v1/conversations/" + string(w.ids[counselorX]) + "/messages"
	w.do(t, clientA, "POST", path, map[string]string{"text": ""}).wantError(t, 400, eyelevel.EINVALID, "text")
	w.do(t, clientA, "POST", path, map[string]string{"text": " \n\t "}).wantError(t, 400, eyelevel.EINVALID, "text")
	w.do(t, clientA, "POST", path, map[string]string{"text": strings.Repeat("x", service.MaxMessage+1)}).wantError(t, 400, eyelevel.EINVALID, "text")
	w.do(t, clientA, "POST", path, `{"text": 5}`).wantError(t, 400, eyelevel.EINVALID)
	w.do(t, clientA, "POST", path, `{"text": "a", "to": "b"}`).wantError(t, 400, eyelevel.EINVALID)
	w.do(t, clientA, "POST", path, `{"text": `).wantError(t, 400, eyelevel.EINVALID)
	w.do(t, clientA, "POST", "/api/v1/conversations/nobody/messages", map[string]string{"text": "Hallo"}).wantError(t, 404, eyelevel.ENOTFOUND)
	w.do(t, clientA, "GET", "/api/v1/conversations/nobody/messages", nil).wantError(t, 404, eyelevel.ENOTFOUND)
	w.do(t, clientA, "GET", "/api/v1/conversations?limit=0", nil).wantError(t, 400, eyelevel.EINVALID, "limit")
	var th struct {
		Messages []struct{ Text string } `json:"messages"`
	}
	w.do(t, clientA, "GET", path, nil).decode(t, &th)
	if len(th.Messages) != 0 {
		t.Errorf("bad input stored messages: %+v", th.Messages)
	}
}

// TestMsgAPIReadReceipts: the counselor reading the conversation puts
// read_at on the client's message; the list's unread count follows.
func TestMsgAPIReadReceipts(t *testing.T) {
	w := msgAPIWorld(t)
	toX := "/api/v1/conversations/" + string(w.ids[counselorX]) + "/messages"
	toA := "/api/v1/conversations/" + string(w.ids[clientA]) + "/messages"
	w.do(t, clientA, "POST", toX, map[string]string{"text": "Darf ich etwas fragen?"}).wantStatus(t, http.StatusCreated)
	type thread struct {
		With struct {
			Name      string `json:"name"`
			ReplyDays int    `json:"reply_days"`
		} `json:"with"`
		Messages []struct {
			Text     string `json:"text"`
			Incoming bool   `json:"incoming"`
			ReadAt   string `json:"read_at"`
		} `json:"messages"`
	}
	var list struct {
		Conversations []struct {
			Unread int `json:"unread"`
		} `json:"conversations"`
	}
	w.do(t, counselorX, "GET", "/api/v1/conversations", nil).decode(t, &list)
	if len(list.Conversations) != 1 || list.Conversations[0].Unread != 1 {
		t.Fatalf("counselor's list before reading: %+v", list)
	}
	var before, seen, after thread
	w.do(t, clientA, "GET", toX, nil).decode(t, &before)
	if len(before.Messages) != 1 || before.Messages[0].ReadAt != "" || before.With.Name != "Counselor counselor-x" || before.With.ReplyDays != 2 {
		t.Fatalf("client's view before reading: %+v", before)
	}
	w.clock.Advance(time.Hour)
	w.do(t, counselorX, "GET", toA, nil).decode(t, &seen)
	if len(seen.Messages) != 1 || !seen.Messages[0].Incoming || seen.Messages[0].Text != "Darf ich etwas fragen?" {
		t.Fatalf("counselor's view: %+v", seen)
	}
	w.do(t, clientA, "GET", toX, nil).decode(t, &after)
	if after.Messages[0].ReadAt != monday.Add(time.Hour).Format(time.RFC3339) {
		t.Errorf("read receipt = %q", after.Messages[0].ReadAt)
	}
	w.do(t, counselorX, "GET", "/api/v1/conversations", nil).decode(t, &list)
	if list.Conversations[0].Unread != 0 {
		t.Errorf("unread after reading = %d", list.Conversations[0].Unread)
	}
}

// TestDutyAPI: an escalated alert is for admins only; the admin may then
// write to the client, and the client answer.
func TestDutyAPI(t *testing.T) {
	w := msgAPIWorld(t)
	a, err := w.svc.Authenticate(w.ctx, w.tokens[clientA], service.SessionAPI)
	must(t, err)
	al, err := w.svc.RaiseAlert(w.ctx, a)
	must(t, err)
	w.do(t, admin, "GET", "/api/v1/duty/"+al.ID, nil).wantError(t, 404, eyelevel.ENOTFOUND)
	w.clock.Advance(31 * time.Minute)
	if n, err := w.svc.EscalateAlerts(w.ctx); n != 1 || err != nil {
		t.Fatalf("escalate = %d, %v", n, err)
	}
	for _, c := range []struct {
		who    role
		status int
	}{{anon, 401}, {clientA, 404}, {clientB, 404}, {counselorX, 404}, {counselorY, 404}, {admin, 200}} {
		if r := w.do(t, c.who, "GET", "/api/v1/duty/"+al.ID, nil); r.Status != c.status {
			t.Errorf("%s: duty = %d, want %d", c.who, r.Status, c.status)
		}
	}
	var dv struct {
		Pseudonym string `json:"pseudonym"`
		ClientID  string `json:"client_id"`
	}
	w.do(t, admin, "GET", "/api/v1/duty/"+al.ID, nil).decode(t, &dv)
	if dv.Pseudonym != "client-a" || dv.ClientID != string(w.ids[clientA]) {
		t.Errorf("duty view = %+v", dv)
	}
	w.do(t, admin, "POST", "/api/v1/conversations/"+dv.ClientID+"/messages", map[string]string{"text": "Wir sind für Sie da."}).wantStatus(t, http.StatusCreated)
	w.do(t, clientA, "POST", "/api/v1/conversations/"+string(w.ids[admin])+"/messages", map[string]string{"text": "Danke."}).wantStatus(t, http.StatusCreated)
	w.do(t, clientB, "POST", "/api/v1/conversations/"+string(w.ids[admin])+"/messages", map[string]string{"text": "Hallo"}).wantError(t, 404, eyelevel.ENOTFOUND)
	w.do(t, admin, "POST", "/api/v1/safety-alerts/"+al.ID+"/acknowledge", nil).wantStatus(t, http.StatusNoContent)
	w.do(t, admin, "GET", "/api/v1/duty/nope", nil).wantError(t, 404, eyelevel.ENOTFOUND)
}

// TestMsgAPIReplyTime: a counselor states their reply time through the
// profile API; out of range is refused with the field named.
func TestMsgAPIReplyTime(t *testing.T) {
	w := msgAPIWorld(t)
	path := "/api/v1/counselors/" + string(w.ids[counselorX])
	body := map[string]any{"display_name": "Counselor counselor-x", "gender": "female", "timezone": "Europe/Berlin",
		"languages": []map[string]any{{"code": "de", "native": true}}, "reply_days": 15}
	w.do(t, counselorX, "PUT", path, body).wantError(t, 400, eyelevel.EINVALID, "reply_days")
	body["reply_days"] = 1
	w.do(t, counselorX, "PUT", path, body).wantStatus(t, http.StatusOK)
	var c struct {
		ReplyDays int `json:"reply_days"`
	}
	w.do(t, clientA, "GET", path, nil).decode(t, &c)
	if c.ReplyDays != 1 {
		t.Errorf("reply_days = %d, want 1", c.ReplyDays)
	}
}
