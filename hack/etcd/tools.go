//go:build tools

// Package tools pins etcd's main package (the root of etcd/server/v3).
package tools

import _ "go.etcd.io/etcd/server/v3"
