package config

import (
	"reflect"
	"strings"
)

type reflectStructField = reflect.StructField

// jsonName makes validator report fields by their YAML/JSON names.
func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "-" {
		return ""
	}
	if name == "" {
		return f.Name
	}
	return name
}
