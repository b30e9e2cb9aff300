package main

// A small model of Grafana's dashboard JSON: enough for stat, time series,
// bar gauge and table panels over one Prometheus data source.

type Dashboard struct {
	File, UID, Title, Description string
	Tags                          []string
	Time                          string // e.g. "now-30d"
	Vars                          []string
	Rows                          []Row
}

// Row is a titled band of panels laid out left to right, 24 columns wide.
type Row struct {
	Title  string
	Height int
	Panels []Panel
}

type Panel struct {
	Type        string // stat, timeseries, bargauge, table
	Title       string
	Description string
	Width       int
	Unit        string
	Decimals    *int
	Targets     []Target
	Min, Max    *float64
	Thresholds  []Threshold
	Stack       bool
	// Transformations for tables: merge several instant queries into one table.
	Merge      bool
	HideFields []string
	Rename     map[string]string
}

type Threshold struct {
	Value *float64
	Color string
}

type Target struct {
	Expr    string
	Legend  string
	Instant bool
	Table   bool
}

func f(v float64) *float64 { return &v }
func i(v int) *int         { return &v }

const dsRef = "${datasource}"

var datasource = map[string]any{"type": "prometheus", "uid": dsRef}

func (d Dashboard) grafana() map[string]any {
	var panels []any
	id, y := 1, 0
	for _, r := range d.Rows {
		panels = append(panels, map[string]any{
			"id": id, "type": "row", "title": r.Title, "collapsed": false,
			"gridPos": map[string]int{"h": 1, "w": 24, "x": 0, "y": y}, "panels": []any{},
		})
		id++
		y++
		x := 0
		for _, p := range r.Panels {
			panels = append(panels, p.grafana(id, x, y, r.Height))
			id++
			x += p.Width
		}
		y += r.Height
	}
	var vars []any
	vars = append(vars, map[string]any{
		"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
		"current": map[string]any{}, "hide": 0, "refresh": 1, "options": []any{},
	})
	for _, v := range d.Vars {
		vars = append(vars, variables[v])
	}
	return map[string]any{
		"uid": d.UID, "title": d.Title, "description": d.Description, "tags": d.Tags,
		"timezone": "utc", "schemaVersion": 39, "version": 1, "editable": true, "graphTooltip": 1,
		"time":        map[string]string{"from": d.Time, "to": "now"},
		"refresh":     "5m",
		"annotations": map[string]any{"list": []any{}},
		"links":       []any{map[string]any{"title": "Azure EA", "type": "dashboards", "tags": []string{"azure-ea"}, "asDropdown": true}},
		"templating":  map[string]any{"list": vars},
		"panels":      panels,
	}
}

// variables are the template variables a dashboard can use, by key. Money
// dashboards chain them: Currency, then the enrollments billed in it, then
// their billing periods, so that no panel ever adds amounts of different
// currencies (the panels also join azure_ea_enrollment_info on the selected
// currency, which carries the currency label into legends and tables).
var variables = map[string]map[string]any{
	"currency": func() map[string]any {
		v := queryVar("currency", "Currency", `label_values(azure_ea_enrollment_info, currency)`, false)
		v["sort"] = 1
		return v
	}(),
	"enrollment": queryVar("enrollment", "Enrollment", `label_values(azure_ea_enrollment_info{currency="$currency"}, enrollment)`, true),
	// enrollment_any is the enrollment variable of dashboards without money.
	"enrollment_any": queryVar("enrollment", "Enrollment", "label_values(azure_ea_up, enrollment)", true),
	"billing_period": queryVar("billing_period", "Billing period",
		`label_values(azure_ea_billing_period_current{enrollment=~"$enrollment"}, billing_period)`, false),
	// tag lists the tag labels the exporter serves (usage_details.tags).
	"tag": func() map[string]any {
		v := queryVar("tag", "Tag", "label_names()", false)
		v["query"] = map[string]any{"query": "label_names()", "refId": "PrometheusVariableQueryEditor-VariableQuery", "qryType": 0}
		v["regex"] = "/^tag_.+/"
		v["sort"] = 1
		return v
	}(),
}

func queryVar(name, label, query string, multi bool) map[string]any {
	return map[string]any{
		"name": name, "label": label, "type": "query", "datasource": datasource,
		"query":   map[string]any{"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery", "qryType": 1},
		"refresh": 2, "sort": 4, "multi": multi, "includeAll": multi, "hide": 0,
		"current": map[string]any{}, "options": []any{}, "regex": "",
	}
}

func (p Panel) grafana(id, x, y, h int) map[string]any {
	var targets []any
	for n, t := range p.Targets {
		tgt := map[string]any{
			"refId": string(rune('A' + n)), "expr": t.Expr, "datasource": datasource,
			"legendFormat": t.Legend, "range": !t.Instant, "instant": t.Instant,
		}
		if t.Table {
			tgt["format"] = "table"
		}
		targets = append(targets, tgt)
	}
	defaults := map[string]any{"unit": p.Unit}
	if p.Decimals != nil {
		defaults["decimals"] = *p.Decimals
	}
	if p.Min != nil {
		defaults["min"] = *p.Min
	}
	if p.Max != nil {
		defaults["max"] = *p.Max
	}
	steps := []any{map[string]any{"color": "green", "value": nil}}
	if len(p.Thresholds) > 0 {
		steps = nil
		for _, t := range p.Thresholds {
			steps = append(steps, map[string]any{"color": t.Color, "value": t.Value})
		}
	}
	defaults["thresholds"] = map[string]any{"mode": "absolute", "steps": steps}
	defaults["color"] = map[string]any{"mode": "thresholds"}
	if p.Type == "timeseries" {
		defaults["color"] = map[string]any{"mode": "palette-classic"}
		custom := map[string]any{"lineWidth": 2, "fillOpacity": 10, "showPoints": "never", "spanNulls": true}
		if p.Stack {
			custom["stacking"] = map[string]any{"mode": "normal", "group": "A"}
			custom["fillOpacity"] = 40
		}
		defaults["custom"] = custom
	}
	options := map[string]any{}
	switch p.Type {
	case "stat":
		options = map[string]any{"reduceOptions": map[string]any{"calcs": []string{"lastNotNull"}, "fields": "", "values": false},
			"colorMode": "value", "graphMode": "area", "textMode": "auto", "justifyMode": "auto", "orientation": "auto"}
	case "bargauge":
		options = map[string]any{"reduceOptions": map[string]any{"calcs": []string{"lastNotNull"}, "fields": "", "values": false},
			"displayMode": "gradient", "orientation": "horizontal", "showUnfilled": true}
	case "timeseries":
		options = map[string]any{"legend": map[string]any{"displayMode": "table", "placement": "right", "calcs": []string{"lastNotNull"}},
			"tooltip": map[string]any{"mode": "multi", "sort": "desc"}}
	case "table":
		options = map[string]any{"showHeader": true, "cellHeight": "sm", "footer": map[string]any{"show": false}}
	}
	out := map[string]any{
		"id": id, "type": p.Type, "title": p.Title, "description": p.Description, "datasource": datasource,
		"gridPos": map[string]int{"h": h, "w": p.Width, "x": x, "y": y},
		"targets": targets, "options": options,
		"fieldConfig": map[string]any{"defaults": defaults, "overrides": []any{}},
	}
	if p.Merge || len(p.HideFields) > 0 || len(p.Rename) > 0 {
		var tr []any
		if p.Merge {
			tr = append(tr, map[string]any{"id": "merge", "options": map[string]any{}})
		}
		exclude := map[string]bool{}
		for _, h := range p.HideFields {
			exclude[h] = true
		}
		rename := map[string]string{}
		for k, v := range p.Rename {
			rename[k] = v
		}
		tr = append(tr, map[string]any{"id": "organize", "options": map[string]any{"excludeByName": exclude, "renameByName": rename}})
		out["transformations"] = tr
	}
	return out
}
