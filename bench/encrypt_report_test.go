package bench

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/vault"
)

// BenchmarkImpactReport is the impact report of a closed year (the year
// and its four quarters) over outcome courses of a quarter of the seeded
// clients: an intake and a post response to each outcome instrument. It
// runs first on the responses as stored before encryption at rest
// ("plain": scores read in SQL), then seals them with EncryptLegacy (its
// time is reported as seal-s) and runs again ("sealed": every score
// opened in Go with its client's data key).
func BenchmarkImpactReport(b *testing.B) {
	forEachDialect(b, func(b *testing.B, e *env) {
		ctx := context.Background()
		keys, err := vault.New(bytes.Repeat([]byte{7}, vault.KeySize))
		if err != nil {
			b.Fatal(err)
		}
		clock := e.data.Now
		svc := service.New(e.db, service.Config{Password: cheapPasswords, Keys: keys}, nil, func() time.Time { return clock })
		year := clock.Year() - 1
		from, to := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(year+1, 1, 1, 0, 0, 0, 0, time.UTC)
		clients := e.data.Clients[:len(e.data.Clients)/4]
		if n, _ := e.db.QueryInt(ctx, `SELECT count(*) FROM responses WHERE id LIKE 'benchr-%'`); n == 0 {
			err := e.db.InTx(ctx, func(ctx context.Context) error {
				for i, c := range clients {
					for _, inst := range service.OutcomeInstruments {
						items := map[string]int{"phq9": 9, "gad7": 7, "who5": 5}[inst]
						for k, occ := range []string{"intake", "post"} {
							as := make([]int, items)
							for j := range as {
								as[j] = (i + j + k) % 4
							}
							sum := 0
							for _, v := range as {
								sum += v
							}
							at := from.AddDate(0, 2+3*k, i%28)
							if err := e.db.CreateResponse(ctx, eyelevel.Response{ID: "benchr-" + string(c) + "-" + inst + "-" + occ, ClientID: c,
								Instrument: inst, Language: "de", Occasion: occ, Answers: as, Score: sum, Band: "mild", CreatedAt: at}); err != nil {
								return err
							}
						}
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		admin := eyelevel.Actor{UserID: "bench-admin", Role: eyelevel.RoleAdmin, Language: "de"}
		run := func(b *testing.B) {
			var lat []time.Duration
			var pairs int
			for b.Loop() {
				t := time.Now()
				r, err := svc.ImpactReport(ctx, admin, from, to)
				lat = append(lat, time.Since(t))
				if err != nil {
					b.Fatal(err)
				}
				pairs = 0
				for _, o := range r.Outcomes {
					pairs += o.N
				}
			}
			slices.Sort(lat)
			b.ReportMetric(lat[len(lat)/2].Seconds()*1000, "median-ms")
			b.ReportMetric(float64(len(clients)), "clients")
			if pairs != 3*len(clients) {
				b.Errorf("pairs = %d, want %d", pairs, 3*len(clients))
			}
		}
		b.Run("plain", run)
		t := time.Now()
		n, err := svc.EncryptLegacy(ctx)
		if err != nil {
			b.Fatal(err)
		}
		seal := time.Since(t)
		b.Run("sealed", func(b *testing.B) {
			run(b)
			b.ReportMetric(seal.Seconds(), "seal-s")
			b.ReportMetric(float64(n), "sealed-rows")
		})
	})
}
