package web

import (
	"net/http"
	"net/url"
	"testing"
)

// TestMsgPagesFlood: from the form, the 31st message within the hour
// gets the thread again with status 429, the error and the text kept.
func TestMsgPagesFlood(t *testing.T) {
	e := newPagesEnv(t)
	client, _, counselorID, _ := msgPagesSetup(t, e)
	for i := range 30 {
		if p := client.post("/messages/"+string(counselorID), url.Values{"text": {"Hallo"}}); p.status != http.StatusOK {
			t.Fatalf("message %d: %d", i+1, p.status)
		}
	}
	p := client.post("/messages/"+string(counselorID), url.Values{"text": {"Noch eine Frage"}})
	mustStatus(t, "flood", p, http.StatusTooManyRequests)
	mustContain(t, "flood", p, e.de("error.too_many"), "Noch eine Frage", `action="/messages/`+string(counselorID)+`"`)
}
