package tests

import (
	_ "github.com/azure-ea-exporter/azure_ea_exporter/config"
	_ "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	_ "k8s.io/api/apps/v1"
	_ "k8s.io/pod-security-admission/policy"
	_ "sigs.k8s.io/yaml"
)
