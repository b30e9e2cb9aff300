// Package bundle holds the tests of the operations bundle: the Grafana
// dashboards in dashboards/ and the Prometheus rules in rules/, checked
// against the metrics the exporter really serves, and run end to end on a
// real Prometheus server and Alertmanager.
package bundle
