package web

import (
	"net/http"
	"time"

	"eyelevel"
	"eyelevel/service"
)

type organizationJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
}

func organizationOf(o eyelevel.Organization) organizationJSON {
	return organizationJSON{ID: o.ID, Name: o.Name, Slug: o.Slug}
}

type contractJSON struct {
	ID                string `json:"id"`
	OrganizationID    string `json:"organization_id"`
	Starts            string `json:"starts"`
	Ends              string `json:"ends"`
	SessionsPerPerson int    `json:"sessions_per_person"`
	Pool              int    `json:"pool"`
	PoolUsed          int    `json:"pool_used"`
	GraceDays         int    `json:"grace_days"`
	LateCancelCounts  bool   `json:"late_cancel_counts"`
	Goals             string `json:"goals"`
}

func contractOf(k eyelevel.Contract) contractJSON {
	return contractJSON{ID: k.ID, OrganizationID: k.OrganizationID, Starts: k.Starts, Ends: k.Ends, SessionsPerPerson: k.SessionsPerPerson,
		Pool: k.Pool, PoolUsed: k.PoolUsed, GraceDays: k.GraceDays, LateCancelCounts: k.LateCancelCounts, Goals: k.Goals}
}

func handleCreateOrganization(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[service.OrganizationInput](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		o, err := d.Service.CreateOrganization(r.Context(), info(r).Actor, in)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusCreated, organizationOf(o))
	})
}

func handleListOrganizations(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		os, err := d.Service.Organizations(r.Context(), info(r).Actor)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		out := make([]organizationJSON, len(os))
		for i, o := range os {
			out[i] = organizationOf(o)
		}
		encode(w, http.StatusOK, map[string]any{"organizations": out})
	})
}

func handleCreateContract(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[service.ContractInput](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		k, err := d.Service.CreateContract(r.Context(), info(r).Actor, r.PathValue("id"), in)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusCreated, contractOf(k))
	})
}

func handleListContracts(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ks, err := d.Service.Contracts(r.Context(), info(r).Actor, r.PathValue("id"))
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		out := make([]contractJSON, len(ks))
		for i, k := range ks {
			out[i] = contractOf(k)
		}
		encode(w, http.StatusOK, map[string]any{"contracts": out})
	})
}

func handleIssueCodes(d Deps) http.Handler {
	type request struct {
		Count  int  `json:"count"`
		Shared bool `json:"shared"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[request](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		codes, err := d.Service.IssueCodes(r.Context(), info(r).Actor, r.PathValue("id"), in.Count, in.Shared)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusCreated, map[string]any{"codes": codes})
	})
}

func handleRedeemCode(d Deps) http.Handler {
	type request struct {
		Code string `json:"code"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[request](w, r)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		c, err := d.Service.RedeemCode(r.Context(), info(r).Actor, in.Code, info(r).IP)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		encode(w, http.StatusCreated, map[string]any{"organization": c.Organization, "sessions": c.Granted, "expires": c.Expires().UTC().Format(time.RFC3339)})
	})
}

type creditJSON struct {
	Source       string `json:"source"`
	Organization string `json:"organization"`
	Remaining    int    `json:"remaining"`
	Expires      string `json:"expires"`
}

func handleCredits(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := d.Service.Credits(r.Context(), info(r).Actor)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		now := d.Service.Now()
		out := make([]creditJSON, len(b.Credits))
		for i, c := range b.Credits {
			out[i] = creditJSON{Source: c.Source, Organization: c.Organization, Remaining: c.Usable(now), Expires: c.Expires().UTC().Format(time.RFC3339)}
		}
		encode(w, http.StatusOK, map[string]any{"total": b.Total, "credits": out})
	})
}
