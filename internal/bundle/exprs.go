package bundle

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"

	"go.yaml.in/yaml/v3"
)

// Expr is a PromQL expression of the bundle and where it comes from.
type Expr struct {
	Where string // "dashboards/x.json: panel title" or "rules: AlertName"
	Query string
}

// Root is the repository root, relative to this package's directory.
const Root = "../.."

// DashboardExprs returns every PromQL expression of the bundled dashboards:
// panel targets and template-variable queries.
func DashboardExprs() ([]Expr, error) {
	files, err := filepath.Glob(filepath.Join(Root, "dashboards", "*.json"))
	if err != nil {
		return nil, err
	}
	var out []Expr
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var d struct {
			Panels []struct {
				Title   string `json:"title"`
				Targets []struct {
					Expr string `json:"expr"`
				} `json:"targets"`
			} `json:"panels"`
			Templating struct {
				List []struct {
					Name  string          `json:"name"`
					Query json.RawMessage `json:"query"`
				} `json:"list"`
			} `json:"templating"`
		}
		if err := json.Unmarshal(b, &d); err != nil {
			return nil, err
		}
		name := filepath.Base(f)
		for _, p := range d.Panels {
			for _, t := range p.Targets {
				out = append(out, Expr{name + ": " + p.Title, t.Expr})
			}
		}
		for _, v := range d.Templating.List {
			var q struct {
				Query string `json:"query"`
			}
			if json.Unmarshal(v.Query, &q) == nil && q.Query != "" {
				out = append(out, Expr{name + ": variable " + v.Name, q.Query})
			}
		}
	}
	return out, nil
}

// RuleFile is the bundled rules file.
var RuleFile = filepath.Join(Root, "rules", "azure_ea.rules.yml")

// Rules returns the rules' expressions and the names of the recording rules.
func Rules() (exprs []Expr, recorded []string, alerts []string, err error) {
	b, err := os.ReadFile(RuleFile)
	if err != nil {
		return nil, nil, nil, err
	}
	var f struct {
		Groups []struct {
			Rules []struct {
				Record string `yaml:"record"`
				Alert  string `yaml:"alert"`
				Expr   string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, nil, nil, err
	}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			name := r.Record + r.Alert
			exprs = append(exprs, Expr{"rules: " + name, r.Expr})
			if r.Record != "" {
				recorded = append(recorded, r.Record)
			} else {
				alerts = append(alerts, r.Alert)
			}
		}
	}
	return exprs, recorded, alerts, nil
}

var (
	recordingName = regexp.MustCompile(`\b[a-z_]+:azure_ea_[a-z0-9_]+:[a-z0-9_]+\b`)
	metricName    = regexp.MustCompile(`\bazure_ea_[a-z0-9_]+\b`)
	quoted        = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
)

// References returns the exporter metrics and the recording rules an
// expression reads. Label values in quotes are not references.
func References(q string) (metrics, recordings []string) {
	q = quoted.ReplaceAllString(q, `""`)
	recordings = recordingName.FindAllString(q, -1)
	rest := recordingName.ReplaceAllString(q, " ")
	metrics = metricName.FindAllString(rest, -1)
	sort.Strings(metrics)
	sort.Strings(recordings)
	return metrics, recordings
}
