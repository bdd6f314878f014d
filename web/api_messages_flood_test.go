package web_test

import (
	"testing"

	"eyelevel"
)

// TestMsgAPIFlood: the 31st message within the hour gets 429 with the
// error shape, over the API and from the form; the other side can still
// write.
func TestMsgAPIFlood(t *testing.T) {
	w := msgAPIWorld(t)
	path := "/api/v1/conversations/" + string(w.ids[counselorX]) + "/messages"
	for i := range 30 {
		if r := w.do(t, clientA, "POST", path, map[string]string{"text": "Hallo"}); r.Status != 201 {
			t.Fatalf("message %d: %d %s", i+1, r.Status, r.Body)
		}
	}
	w.do(t, clientA, "POST", path, map[string]string{"text": "Hallo"}).wantError(t, 429, eyelevel.ETOOMANY)
	back := "/api/v1/conversations/" + string(w.ids[clientA]) + "/messages"
	if r := w.do(t, counselorX, "POST", back, map[string]string{"text": "Guten Tag"}); r.Status != 201 {
		t.Errorf("the counselor is blocked: %d %s", r.Status, r.Body)
	}
}
