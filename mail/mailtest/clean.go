package mailtest

import (
	"slices"
	"strings"
	"sync"

	"eyelevel/i18n"
)

// Clean returns the forbidden words or texts that occur in p's subject,
// text, HTML or calendar part, ignoring case; nil when p is clean. Use it
// with HealthWords() and the test's own secrets (message, note and
// reflection text):
//
//	if bad := mailtest.Clean(p, append(mailtest.HealthWords(), note)...); bad != nil { … }
func Clean(p Parsed, forbidden ...string) []string {
	all := strings.ToLower(strings.Join([]string{p.Subject, p.Text, p.HTML, p.ICS}, "\n"))
	var found []string
	for _, f := range forbidden {
		f = strings.TrimSpace(f)
		if f != "" && strings.Contains(all, strings.ToLower(f)) && !slices.Contains(found, f) {
			found = append(found, f)
		}
	}
	return found
}

// healthWords are diagnosis and questionnaire words in the ten languages
// that no mail may contain; HealthWords adds the questionnaires' names and
// result bands from the catalog.
var healthWords = []string{
	// Questionnaires, in any language.
	"PHQ", "GAD-7", "GAD7", "WHO-5", "WHO5",
	// en
	"depression", "depressive", "anxiety", "suicide", "suicidal", "self-harm", "diagnosis", "disorder", "questionnaire", "psychiatric", "trauma",
	// de
	"Depression", "depressiv", "Angststörung", "Suizid", "Selbstmord", "Selbstverletzung", "Diagnose", "psychische Störung", "Fragebogen", "psychiatrisch",
	// ar
	"اكتئاب", "الاكتئاب", "قلق", "انتحار", "إيذاء النفس", "تشخيص", "اضطراب", "استبيان",
	// fa, fa-AF
	"افسردگی", "اضطراب", "خودکشی", "آسیب به خود", "تشخیص", "اختلال", "پرسشنامه",
	// ps
	"خپګان", "اندېښنه", "ځان وژنه", "تشخیص", "ګډوډي", "پوښتنلیک",
	// tr
	"depresyon", "anksiyete", "kaygı bozukluğu", "intihar", "kendine zarar", "teşhis", "ruhsal bozukluk", "anket",
	// ru
	"депресси", "тревожн", "суицид", "самоубийств", "самоповрежден", "диагноз", "расстройств", "опросник",
	// uk
	"депресі", "тривожн", "суїцид", "самогубств", "самоушкодж", "діагноз", "розлад", "опитувальник",
	// kmr
	"xwekuştin", "teşhîs", "nexweşiya derûnî", "anket",
}

var (
	healthOnce sync.Once
	healthAll  []string
)

// HealthWords lists health and diagnosis words in all ten languages that
// no mail may contain: the list above plus, from the catalog, every
// questionnaire's name (instrument.*) and result band (band.*).
func HealthWords() []string {
	healthOnce.Do(func() {
		healthAll = slices.Clone(healthWords)
		cat, err := i18n.Load()
		if err != nil {
			panic("mailtest: catalog: " + err.Error())
		}
		for _, l := range cat.Languages() {
			for _, k := range cat.Keys(l.Code) {
				if !strings.HasPrefix(k, "band.") && !strings.HasPrefix(k, "instrument.") {
					continue
				}
				text := cat.T(l.Code, k)
				healthAll = append(healthAll, text)
				// "PHQ-9: mood": the name and the topic on their own too.
				if name, topic, ok := strings.Cut(text, ":"); ok {
					healthAll = append(healthAll, strings.TrimSpace(name), strings.TrimSpace(topic))
				}
			}
		}
		slices.Sort(healthAll)
		healthAll = slices.Compact(healthAll)
	})
	return slices.Clone(healthAll)
}
