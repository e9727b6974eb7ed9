package pipeline

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// firstStage names, for every key of the campaign file, the first stage
// whose outputs depend on it: changing the key must change that stage's
// key (and so every later one) and leave the stages before it alone. "-"
// marks a key no run stage depends on (send settings, where the run
// directory is, input paths whose files' contents are hashed instead).
// A key missing here fails TestEveryCampaignKeyIsInAStageKey: a new
// campaign key must say which stage reads it.
var firstStage = map[string]string{
	"name":   "render",
	"month":  "profile",
	"output": "-",

	"inputs.cardholders":          "-", // the file's content is in the ingest key
	"inputs.transactions":         "-",
	"inputs.profiles":             "-",
	"inputs.currency":             "ingest",
	"inputs.tiers":                "ingest",
	"inputs.error_budget":         "ingest",
	"inputs.rates":                "ingest",
	"inputs.categories":           "ingest",
	"inputs.profile_columns":      "ingest",
	"inputs.mcc_map":              "ingest",
	"inputs.profile_spend":        "profile",
	"inputs.profile_transactions": "profile",

	"format.*": "ingest",

	"profile.window_months":      "profile",
	"profile.home_country":       "ingest",
	"profile.top_merchant_share": "profile",
	"profile.allow_data_gap":     "profile",
	"relationship.*":             "profile",

	"clustering.k":                  "cluster",
	"clustering.min_audience":       "cluster",
	"clustering.max_k":              "cluster",
	"clustering.seed":               "cluster",
	"clustering.max_iterations":     "cluster",
	"clustering.weights.*":          "cluster",
	"clustering.scale":              "cluster",
	"templates.dir":                 "-", // the set's content is in the variants and render keys
	"templates.fast_path":           "render",
	"sender.name":                   "render",
	"sender.from":                   "render",
	"sender.reply_to":               "render",
	"sender.postal_address":         "render",
	"sender.unsubscribe_url":        "render",
	"sender.unsubscribe_secret_env": "render",
	"sender.unsubscribe_mailto":     "render",
	"sender.locale":                 "render",
	"mail.outbox":                   "outbox",
	"mail.samples":                  "outbox",
	"mail.date":                     "render",
	"mail.list_id":                  "render",
	"mail.feedback_id":              "render",
	"mail.refusal_budget":           "outbox",
	"links.*":                       "render",
	"smtp":                          "-",
	"send.*":                        "-",
	"fit.budget":                    "fit",
	"dkim.*":                        "-",
	"schedule.*":                    "-", // when tailor schedule runs and sends
}

// TestEveryCampaignKeyIsInAStageKey walks every key of the campaign file
// (by reflection over Campaign), changes it, and checks that the key of
// the first stage that reads it changes and the keys before it do not, so
// that a re-run never keeps outputs made with another setting.
func TestEveryCampaignKeyIsInAStageKey(t *testing.T) {
	base := quickstartConfig(t)
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Values that must be valid for newRun to accept them.
	special := map[string]func(v reflect.Value){
		"month":                         func(v reflect.Value) { v.SetString("2026-09") },
		"mail.outbox":                   func(v reflect.Value) { v.SetString(OutboxAll) },
		"mail.date":                     func(v reflect.Value) { v.SetString("2026-11-03T08:00:00Z") },
		"sender.locale":                 func(v reflect.Value) { v.SetString("en-GB") },
		"inputs.rates":                  func(v reflect.Value) { v.SetString(file("rates.csv", "currency,rate\nEUR,1.08\n")) },
		"inputs.categories":             func(v reflect.Value) { v.SetString(file("categories.csv", "category,interest\nPizza,dining\n")) },
		"inputs.mcc_map":                func(v reflect.Value) { v.SetString(file("mcc.csv", "mcc,interest\n5812,groceries\n")) },
		"templates.dir":                 func(v reflect.Value) { v.SetString(must(filepath.Abs("../templates/default"))) },
		"clustering.k":                  func(v reflect.Value) { v.Set(reflect.ValueOf(FixedK(7))) },
		"sender.unsubscribe_secret_env": func(v reflect.Value) { v.SetString("ANOTHER_SECRET") },
	}
	keys := func(t *testing.T, cfg Config) map[string]string {
		t.Helper()
		r, err := newRun(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.loadTemplates(); err != nil {
			t.Fatal(err)
		}
		stages := r.stages(&outcomes{})
		r.setKeys(stages, map[string]string{})
		out := map[string]string{}
		for _, st := range stages {
			out[st.name] = st.key
		}
		return out
	}
	order := func() []string {
		r, err := newRun(base)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, st := range r.stages(&outcomes{}) {
			names = append(names, st.name)
		}
		return names
	}()
	want := keys(t, base)
	seen := map[string]bool{}
	for _, path := range campaignKeys(reflect.TypeFor[Campaign](), "") {
		stage, ok := firstStage[path]
		if !ok {
			stage, ok = firstStage[path[:strings.LastIndex(path+".", ".")]+".*"]
			for p := path; !ok && strings.Contains(p, "."); {
				p = p[:strings.LastIndex(p, ".")]
				stage, ok = firstStage[p+".*"]
				seen[p+".*"] = ok
			}
		} else {
			seen[path] = true
		}
		t.Run(path, func(t *testing.T) {
			if !ok {
				t.Fatalf("campaign key %s: say in firstStage which stage reads it first", path)
			}
			cfg := base
			c := cloneCampaign(t, *base.Campaign)
			v := fieldByPath(reflect.ValueOf(&c).Elem(), path)
			if set, ok := special[path]; ok {
				set(v)
			} else {
				change(t, v)
			}
			cfg.Campaign = &c
			got := keys(t, cfg)
			first := len(order)
			if stage != "-" {
				first = slices.Index(order, stage)
				if first < 0 {
					t.Fatalf("firstStage says %q, not a stage (%v)", stage, order)
				}
			}
			for i, name := range order {
				switch changed := got[name] != want[name]; {
				case i < first && changed:
					t.Errorf("%s changes the key of %s, before %s", path, name, stage)
				case i == first && !changed:
					t.Errorf("%s does not change the key of %s, which reads it", path, name)
				}
			}
		})
	}
	for k := range firstStage {
		if strings.HasSuffix(k, ".*") && !seen[k] {
			t.Errorf("firstStage names %s, which is no campaign table", k)
		}
	}
}

// campaignKeys returns the keys of the campaign file that t's fields
// hold, as paths of TOML names ("inputs.profile_columns"): tables are
// walked, everything else (arrays of tables included) is one key.
func campaignKeys(t reflect.Type, prefix string) []string {
	var out []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if name == "" || name == "-" {
			continue
		}
		path := prefix + name
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeFor[K]() {
			out = append(out, campaignKeys(f.Type, path+".")...)
			continue
		}
		out = append(out, path)
	}
	return out
}

// fieldByPath returns the field of v named by a path of TOML names.
func fieldByPath(v reflect.Value, path string) reflect.Value {
	for _, name := range strings.Split(path, ".") {
		t := v.Type()
		for i := range t.NumField() {
			if n, _, _ := strings.Cut(t.Field(i).Tag.Get("toml"), ","); n == name {
				v = v.Field(i)
				break
			}
		}
	}
	return v
}

// change gives v a value other than its own.
func change(t *testing.T, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "x")
	case reflect.Int, reflect.Int64:
		v.SetInt(v.Int() + 3)
	case reflect.Uint64:
		v.SetUint(v.Uint() + 3)
	case reflect.Float64:
		v.SetFloat(v.Float()*0.5 + 0.25)
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Pointer:
		n := reflect.New(v.Type().Elem())
		if !v.IsNil() {
			n.Elem().Set(v.Elem())
		} else if n.Elem().Kind() == reflect.Bool {
			n.Elem().SetBool(true)
		}
		change(t, n.Elem())
		v.Set(n)
	case reflect.Slice:
		e := reflect.New(v.Type().Elem()).Elem()
		if e.Kind() == reflect.String {
			e.SetString("x")
		}
		v.Set(reflect.Append(v, e))
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for _, k := range v.MapKeys() {
			m.SetMapIndex(k, v.MapIndex(k))
		}
		m.SetMapIndex(reflect.ValueOf("Extra Column"), reflect.ValueOf("x"))
		v.Set(m)
	default:
		t.Fatalf("no way to change a %s", v.Type())
	}
}

// cloneCampaign copies c deeply enough that changing one key of the copy
// leaves c alone.
func cloneCampaign(t *testing.T, c Campaign) Campaign {
	t.Helper()
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Struct:
			for i := range v.NumField() {
				if v.Field(i).CanSet() {
					walk(v.Field(i))
				}
			}
		case reflect.Pointer:
			if !v.IsNil() {
				n := reflect.New(v.Type().Elem())
				n.Elem().Set(v.Elem())
				v.Set(n)
			}
		case reflect.Slice:
			if !v.IsNil() {
				v.Set(reflect.AppendSlice(reflect.MakeSlice(v.Type(), 0, v.Len()), v))
			}
		case reflect.Map:
			if !v.IsNil() {
				m := reflect.MakeMap(v.Type())
				for _, k := range v.MapKeys() {
					m.SetMapIndex(k, v.MapIndex(k))
				}
				v.Set(m)
			}
		}
	}
	walk(reflect.ValueOf(&c).Elem())
	return c
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
