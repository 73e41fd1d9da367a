//go:build tools

// Package tools names the command build.sh compiles, so `go mod tidy` keeps its dependencies.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kubelet"
)
