package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"eyelevel"
	"eyelevel/service"
	"eyelevel/store"
)

// Demo logins, printed at start. They exist only in a database that was
// empty when `serve --demo` first ran.
const (
	demoPassword = "eyelevel-demo"
	demoAdmin    = "admin"
	demoClient   = "demo-client"
)

type demoCounselor struct {
	username, name string
	gender         eyelevel.Gender
	langs          string // code[:native],…
	zone, bio      string
	days           []time.Weekday
	from, to       string
}

var weekdays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}

// demoCounselors cover all ten service languages, most by native speakers.
var demoCounselors = []demoCounselor{
	{"leyla", "Leyla Ahmadi", eyelevel.GenderFemale, "fa:native,fa-AF,de", "Europe/Berlin", "Psychologist (M.Sc.), counseling in Farsi and German since 2015.", weekdays, "09:00", "13:00"},
	{"nasrin", "Nasrin Karimi", eyelevel.GenderFemale, "fa:native,en", "Europe/Vienna", "Social worker and systemic counselor; migration and family conflicts.", []time.Weekday{time.Tuesday, time.Thursday, time.Saturday}, "15:00", "20:00"},
	{"farid", "Farid Noori", eyelevel.GenderMale, "fa-AF:native,ps,de", "Europe/Berlin", "Psychosocial counselor; arrival, work and family in a new country.", weekdays, "14:00", "19:00"},
	{"mariam", "Mariam Haidari", eyelevel.GenderFemale, "ps:native,fa-AF:native,en", "Europe/Berlin", "Psychologist; counseling for women and families.", []time.Weekday{time.Monday, time.Wednesday, time.Friday}, "10:00", "16:00"},
	{"samira", "Samira Haddad", eyelevel.GenderFemale, "ar:native,de,en", "Europe/Berlin", "Psychologist (M.Sc.); stress, loss and life crises.", weekdays, "08:00", "12:00"},
	{"omar", "Omar Khalil", eyelevel.GenderMale, "ar:native,en", "Europe/Zurich", "Counselor for men in transition: work, separation, exile.", []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday}, "16:00", "21:00"},
	{"anna", "Anna Schneider", eyelevel.GenderFemale, "de:native,en", "Europe/Berlin", "Psychologin; Stress im Beruf, Trennung, Überforderung.", weekdays, "09:00", "17:00"},
	{"thomas", "Thomas Becker", eyelevel.GenderMale, "de:native,en,ru", "Europe/Berlin", "Sozialpädagoge; Krisen nach Jobverlust und Insolvenz.", []time.Weekday{time.Tuesday, time.Wednesday, time.Thursday}, "12:00", "18:00"},
	{"elif", "Elif Yılmaz", eyelevel.GenderFemale, "tr:native,de,kmr", "Europe/Berlin", "Psychologin; Familie zwischen zwei Kulturen.", weekdays, "10:00", "14:00"},
	{"mehmet", "Mehmet Demir", eyelevel.GenderMale, "tr:native,de", "Europe/Berlin", "Counselor; work stress, debt and family conflict.", []time.Weekday{time.Monday, time.Thursday, time.Saturday}, "09:00", "15:00"},
	{"olena", "Olena Kovalenko", eyelevel.GenderFemale, "uk:native,ru:native,de", "Europe/Berlin", "Psychologist; war, flight and separation from family.", weekdays, "13:00", "18:00"},
	{"dmitri", "Dmitri Sokolov", eyelevel.GenderMale, "ru:native,uk,de", "Europe/Berlin", "Psychologist; loneliness, grief and new beginnings.", []time.Weekday{time.Monday, time.Wednesday, time.Friday}, "08:00", "13:00"},
	{"rojda", "Rojda Aydın", eyelevel.GenderFemale, "kmr:native,tr,de", "Europe/Berlin", "Social worker; counseling in Kurmancî, Turkish and German.", weekdays, "11:00", "16:00"},
	{"sarah", "Sarah Miller", eyelevel.GenderFemale, "en:native,de", "Europe/Berlin", "Counselor; expat life, burnout and relationships.", []time.Weekday{time.Tuesday, time.Thursday}, "17:00", "21:00"},
}

// seedDemo fills an empty database with an admin, a client and counselors
// with weekly availability, and prints the logins.
func seedDemo(ctx context.Context, db *store.DB, svc *service.Service, out io.Writer, url string) error {
	n, err := db.CountUsers(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		fmt.Fprintf(out, "The database already has accounts; demo data is only added to an empty one.\n")
		return nil
	}
	admin, err := svc.AddUser(ctx, eyelevel.RoleAdmin, demoAdmin, demoPassword, "Europe/Berlin")
	if err != nil {
		return err
	}
	client, err := svc.AddUser(ctx, eyelevel.RoleClient, demoClient, demoPassword, "Europe/Berlin")
	if err != nil {
		return err
	}
	if err := svc.RecordConsentFor(ctx, service.Operator, client.ID); err != nil {
		return err
	}
	for id, name := range map[eyelevel.UserID]string{admin.ID: demoAdmin, client.ID: demoClient} {
		if err := db.SetVerifiedEmail(ctx, id, demoEmail(name)); err != nil {
			return err
		}
	}
	org, err := seedDemoOrg(ctx, svc, client)
	if err != nil {
		return err
	}
	var anna eyelevel.UserID
	for _, d := range demoCounselors {
		c, err := svc.CreateCounselor(ctx, service.Operator, service.CounselorInput{
			Username: d.username, Password: demoPassword, DisplayName: d.name, Gender: d.gender,
			Languages: parseLanguages(d.langs), TimeZone: d.zone, Bio: d.bio,
			Qualifications: "Trained in value-based short-term counseling",
		})
		if err != nil {
			return fmt.Errorf("counselor %s: %w", d.username, err)
		}
		if err := db.SetVerifiedEmail(ctx, c.ID, demoEmail(d.username)); err != nil {
			return err
		}
		var av eyelevel.Availability
		start, end := clock(d.from), clock(d.to)
		for _, wd := range d.days {
			av.Weekly = append(av.Weekly, eyelevel.WeeklyWindow{Weekday: wd, Start: start, End: end})
		}
		if err := svc.SetAvailability(ctx, service.Operator, c.ID, av); err != nil {
			return fmt.Errorf("availability of %s: %w", d.username, err)
		}
		if d.username == "anna" {
			anna = c.ID
		}
	}
	if err := seedDemoHistory(ctx, svc, anna, org.contract.ID); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nDemo data created. Open %s and log in with password %q as:\n", url, demoPassword)
	fmt.Fprintf(out, "(Each demo account has the verified email address USERNAME@example.org, e.g. %s.)\n", demoEmail(demoClient))
	fmt.Fprintf(out, "  %-12s admin (creates counselors)\n", demoAdmin)
	fmt.Fprintf(out, "  %-12s client, with sessions paid by %s\n", demoClient, demoOrgName)
	fmt.Fprintf(out, "  %-12s clients with a finished course (demo-past-1 … demo-past-%d), for the impact report\n", "demo-past-1", demoHistoryClients)
	for _, d := range demoCounselors {
		fmt.Fprintf(out, "  %-12s counselor %s (%s)\n", d.username, d.name, d.langs)
	}
	printDemoOrg(out, url, org)
	staff := []string{demoAdmin, demoCarePoint, demoOrgAdmin}
	for _, d := range demoCounselors {
		staff = append(staff, d.username)
	}
	if err := seedDemoSecondFactor(ctx, db, svc, out, staff); err != nil {
		return err
	}
	fmt.Fprintln(out)
	return nil
}

// demoEmail is the verified example address of a demo account, so that
// `serve --demo --smtp …` sends real mail (to a local SMTP server such as
// cmd/mailsink).
func demoEmail(username string) string { return username + "@example.org" }

func clock(s string) int {
	var h, m int
	fmt.Sscanf(s, "%d:%d", &h, &m)
	return h*60 + m
}
