package web

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"eyelevel"
)

// roomKeys are the catalog keys room.js shows. The page hands their
// translations to the script in a JSON data block, so the script carries
// no text of its own.
var roomKeys = []string{
	"room.chat.client", "room.chat.counselor", "room.chat.failed", "room.chat.you", "room.cue.title",
	"room.device.camera_n", "room.device.microphone_n",
	"room.end.confirm",
	"room.err.closed", "room.err.gone", "room.err.in_use", "room.err.load", "room.err.login",
	"room.err.media", "room.err.no_camera", "room.err.no_devices", "room.err.permission", "room.err.unsupported",
	"room.quality.fair", "room.quality.good", "room.quality.poor", "room.quality.unknown", "room.quality.lowered",
	"room.status.admitted", "room.status.client_waiting", "room.status.connected", "room.status.connecting",
	"room.status.counselor_alone", "room.status.ended", "room.status.ended_by_you", "room.status.interrupted",
	"room.status.left", "room.status.peer_left", "room.status.reconnecting", "room.status.replaced",
	"room.status.waiting", "room.status.waiting_absent",
	"signal.err.forbidden", "signal.err.invalid", "signal.err.no_client", "signal.err.not_ready", "signal.err.replaced",
}

// roomData is what room.html needs. State is "open", "not_open" or "closed".
type roomData struct {
	Appointment eyelevel.Appointment
	Role        eyelevel.Role
	State       string
	OpensAt     time.Time
	WaitMillis  int64  // until the room opens, by the server's clock (the page reloads then)
	API         string // the room's JSON endpoint
	I18N        map[string]string
}

// roomPage shows an appointment's video room to its two participants: the
// device check, the waiting room and the call, all run by room.js. Before
// the room opens it says when it will; after it closed, that it has.
func (v *views) roomPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requireLogin(w, r, r.URL.RequestURI()) {
			return
		}
		ri := info(r)
		id := eyelevel.AppointmentID(r.PathValue("id"))
		p := newPage(r, "room.title")
		status := http.StatusOK
		room, err := v.d.Service.Room(r.Context(), ri.Actor, id)
		var data roomData
		var e *eyelevel.Error
		switch {
		case err == nil:
			data = roomData{Appointment: room.Appointment, Role: room.Role, State: "open", OpensAt: room.OpensAt,
				API: "/api/v1/appointments/" + url.PathEscape(string(id)) + "/room"}
			data.I18N = make(map[string]string, len(roomKeys))
			for _, k := range roomKeys {
				data.I18N[k] = v.d.Catalog.T(ri.Lang, k)
			}
		case errors.As(err, &e) && e.Code == eyelevel.ECONFLICT && (e.Key == "room.err.not_open" || e.Key == "room.err.closed"):
			// Room has checked that the actor takes part; show the times.
			appt, aerr := v.d.Service.Appointment(r.Context(), ri.Actor, id)
			if aerr != nil {
				v.fail(w, r, aerr)
				return
			}
			data = roomData{Appointment: appt, Role: ri.Actor.Role, State: "closed"}
			if e.Key == "room.err.not_open" {
				data.State = "not_open"
				data.OpensAt = appt.Start.Add(-v.d.Service.Config().RoomOpenBefore)
				data.WaitMillis = v.d.Service.Until(data.OpensAt).Milliseconds()
			}
			status = statusOf(err)
		default:
			v.fail(w, r, err)
			return
		}
		p.Data = data
		// The one page that may use the camera and microphone; the
		// security headers deny them everywhere else.
		w.Header().Set("Permissions-Policy", "camera=(self), microphone=(self), geolocation=(), interest-cohort=()")
		v.render(w, r, status, "room", p)
	})
}

// roomLink is what the appointments list says about a booked
// appointment's video room: its URL and whether it is open, when it is
// open or opens within a day; else the URL is empty.
type roomLink struct {
	URL     string
	Open    bool
	OpensAt time.Time
}

func (v *views) roomLinkOf(appt eyelevel.Appointment) roomLink {
	if appt.Status != eyelevel.StatusBooked {
		return roomLink{}
	}
	cfg := v.d.Service.Config()
	now := v.d.Service.Now()
	opens, closes := appt.Start.Add(-cfg.RoomOpenBefore), appt.End.Add(cfg.RoomCloseAfter)
	if !now.Before(closes) || opens.After(now.Add(24*time.Hour)) {
		return roomLink{}
	}
	return roomLink{URL: "/appointments/" + url.PathEscape(string(appt.ID)) + "/room", Open: !now.Before(opens), OpensAt: opens}
}
