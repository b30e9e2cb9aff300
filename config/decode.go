package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// decodeStrict decodes a YAML node into v (a pointer to a struct), walking
// the node tree itself so that every problem, an unknown key or a value of
// the wrong type, is reported with its YAML path (enrollments[0].number)
// and decoding carries on to find the next one.
func decodeStrict(n *yaml.Node, v any) []error {
	var errs []error
	decodeValue(n, reflect.ValueOf(v).Elem(), "", &errs)
	return errs
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func describe(path string) string {
	if path == "" {
		return "top level"
	}
	return path
}

func decodeValue(n *yaml.Node, v reflect.Value, path string, errs *[]error) {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return
		}
		n = n.Content[0]
	}
	if n.Kind == 0 { // an empty document
		return
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	// A YAML null leaves the default in place.
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	switch {
	case v.Kind() == reflect.Struct && !hasUnmarshaler(v):
		if n.Kind != yaml.MappingNode {
			*errs = append(*errs, fmt.Errorf("%s: want a mapping, got %s", describe(path), kindName(n)))
			return
		}
		fields := map[string]int{}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
			if tag != "" && tag != "-" {
				fields[tag] = i
			}
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			p := join(path, key)
			if seen[key] {
				*errs = append(*errs, fmt.Errorf("%s: key given twice (line %d)", p, n.Content[i].Line))
				continue
			}
			seen[key] = true
			idx, ok := fields[key]
			if !ok {
				*errs = append(*errs, fmt.Errorf("%s: unknown key (line %d)", p, n.Content[i].Line))
				continue
			}
			decodeValue(n.Content[i+1], v.Field(idx), p, errs)
		}
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Struct:
		if n.Kind != yaml.SequenceNode {
			*errs = append(*errs, fmt.Errorf("%s: want a list, got %s", describe(path), kindName(n)))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			decodeValue(item, s.Index(i), path+"["+strconv.Itoa(i)+"]", errs)
		}
		v.Set(s)
	case v.Kind() == reflect.Pointer:
		elem := reflect.New(v.Type().Elem())
		before := len(*errs)
		decodeValue(n, elem.Elem(), path, errs)
		if len(*errs) == before {
			v.Set(elem)
		}
	default:
		if err := n.Decode(v.Addr().Interface()); err != nil {
			*errs = append(*errs, fmt.Errorf("%s: %s", describe(path), cleanYAMLError(err)))
		}
	}
}

func hasUnmarshaler(v reflect.Value) bool {
	_, ok := v.Addr().Interface().(yaml.Unmarshaler)
	return ok
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return fmt.Sprintf("%q", n.Value)
	}
}

// cleanYAMLError drops yaml.v3's "yaml: unmarshal errors:\n  line N:" frame:
// the path already says where.
func cleanYAMLError(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "yaml: unmarshal errors:\n")
	s = strings.TrimSpace(s)
	if i := strings.Index(s, ": "); strings.HasPrefix(s, "line ") && i > 0 {
		s = s[i+2:] + " (" + s[:i] + ")"
	}
	return s
}
