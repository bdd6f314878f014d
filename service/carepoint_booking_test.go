package service_test

import (
	"testing"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/store"
)

// registered links client to the care point that registered them.
func (e *env) registered(client, staff eyelevel.Actor, k eyelevel.Contract) {
	e.t.Helper()
	err := e.db.CreateCarePointLink(e.ctx, store.CarePointLink{ClientID: client.UserID, StaffID: staff.UserID, OrganizationID: k.OrganizationID,
		ContractID: k.ID, ConsentVersion: "1", ConsentAt: monday})
	if err != nil {
		e.t.Fatal(err)
	}
}

// TestCarePointBooksForClient: care-point staff book and cancel for the
// clients they registered, from the organization's allowance, under the
// client's rules; for anyone else's client the appointment and the client
// do not exist; nobody else may name a client.
func TestCarePointBooksForClient(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		e.charge(true)
		mia := e.counselor("mia", eyelevel.GenderFemale, []string{"de"}, officeHours...)
		k := e.storedContract(eyelevel.Contract{LateCancelCounts: true})
		ana, ben := e.staff(eyelevel.RoleCarePoint, "ana", k.OrganizationID), e.staff(eyelevel.RoleCarePoint, "ben", k.OrganizationID)
		nour, sami := e.client("nour"), e.client("sami")
		e.registered(nour, ana, k)
		e.registered(sami, ben, k)
		credit := e.grant(nour, k, false)
		book := func(who eyelevel.Actor, client eyelevel.UserID, start int) (eyelevel.Appointment, error) {
			return e.svc.Book(e.ctx, who, service.BookInput{CounselorID: mia.UserID, Start: at(2, start, 0), ClientID: client})
		}
		a, err := book(ana, nour.UserID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if a.ClientID != nour.UserID || a.BookedBy != ana.UserID || a.PaidBy != eyelevel.PaidOrganization || e.used(credit.ID) != 1 {
			t.Errorf("booked for the client = %+v, used %d", a, e.used(credit.ID))
		}
		if stored, _ := e.db.Appointment(e.ctx, a.ID); stored.BookedBy != ana.UserID {
			t.Errorf("stored booked_by = %q", stored.BookedBy)
		}
		_, err = book(ben, nour.UserID, 11)
		wantCode(t, err, eyelevel.ENOTFOUND)
		_, err = book(ana, sami.UserID, 11)
		wantCode(t, err, eyelevel.ENOTFOUND)
		_, err = book(ana, "nobody", 11)
		wantCode(t, err, eyelevel.ENOTFOUND)
		_, err = book(ana, "", 11)
		wantField(t, err, "client_id")
		// A client naming another client finds nobody; a counselor may
		// not book at all.
		_, err = book(nour, sami.UserID, 11)
		wantCode(t, err, eyelevel.ENOTFOUND)
		_, err = book(mia, nour.UserID, 11)
		wantCode(t, err, eyelevel.EFORBIDDEN)
		// Sami holds no credit: the care point is refused as Sami would be,
		// and books for free when nobody charges (PostgreSQL's one round
		// trip records who booked too).
		_, err = book(ben, sami.UserID, 12)
		wantCode(t, err, eyelevel.EPAYMENT)
		e.charge(false)
		free, err := book(ben, sami.UserID, 12)
		if err != nil || free.PaidBy != eyelevel.PaidFree {
			t.Fatalf("free booking for the client = %+v, %v", free, err)
		}
		if stored, _ := e.db.Appointment(e.ctx, free.ID); stored.BookedBy != ben.UserID || stored.ClientID != sami.UserID {
			t.Errorf("stored free booking = %+v", stored)
		}
		e.charge(true)

		// Cancelling: another care point does not see it; the own one
		// cancels in time and the credit comes back.
		_, err = e.svc.Cancel(e.ctx, ben, a.ID)
		wantCode(t, err, eyelevel.ENOTFOUND)
		if got, err := e.svc.Cancel(e.ctx, ana, a.ID); err != nil || got.LateCancel || e.used(credit.ID) != 0 {
			t.Errorf("care point cancels = %+v, %v; used %d", got, err, e.used(credit.ID))
		}
		// Late, with the client's rule: it counts.
		late, err := e.svc.Book(e.ctx, ana, service.BookInput{CounselorID: mia.UserID, Start: at(0, 15, 0), ClientID: nour.UserID})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := e.svc.Cancel(e.ctx, ana, late.ID); err != nil || !got.LateCancel || e.used(credit.ID) != 1 {
			t.Errorf("care point cancels late = %+v, %v; used %d", got, err, e.used(credit.ID))
		}
	})
}
