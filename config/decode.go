package config

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decodeStrict decodes a YAML node into v (a pointer to a struct), walking
// the node tree itself so that every problem, an unknown key or a value of
// the wrong type, is reported with its YAML path (enrollments[0].number)
// and position, and decoding carries on to find the next one.
func decodeStrict(n *yaml.Node, v any) []*Problem {
	d := &decoder{}
	d.value(n, reflect.ValueOf(v).Elem(), "")
	return d.problems
}

type decoder struct {
	problems []*Problem
}

func (d *decoder) fail(n *yaml.Node, path, format string, a ...any) {
	d.problems = append(d.problems, &Problem{Path: path, Line: n.Line, Column: n.Column, Msg: fmt.Sprintf(format, a...)})
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// resolve steps through documents and aliases; nil for an empty document.
func resolve(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		n = n.Content[0]
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n == nil || n.Kind == 0 {
		return nil
	}
	return n
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	if n = resolve(n); n == nil || isNull(n) {
		return // a YAML null leaves the default in place
	}
	switch {
	case v.Kind() == reflect.Struct:
		d.structure(n, v, path)
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Struct:
		if n.Kind != yaml.SequenceNode {
			d.fail(n, path, "want a list, got %s", kindName(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.value(item, s.Index(i), path+"["+strconv.Itoa(i)+"]")
		}
		v.Set(s)
	case v.Kind() == reflect.Pointer:
		elem := reflect.New(v.Type().Elem())
		before := len(d.problems)
		d.value(n, elem.Elem(), path)
		if len(d.problems) == before {
			v.Set(elem)
		}
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String:
		if n.Kind != yaml.SequenceNode {
			d.fail(n, path, "want a list, got %s", kindName(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), 0, len(n.Content))
		for i, item := range n.Content {
			e := reflect.New(v.Type().Elem()).Elem()
			if d.scalar(item, e, path+"["+strconv.Itoa(i)+"]") {
				s = reflect.Append(s, e)
			}
		}
		v.Set(s)
	case v.Kind() == reflect.Map && v.Type().Key().Kind() == reflect.String:
		if n.Kind != yaml.MappingNode {
			d.fail(n, path, "want a mapping, got %s", kindName(n))
			return
		}
		m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
		first := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			kn := resolve(n.Content[i])
			if kn == nil || kn.Kind != yaml.ScalarNode {
				d.fail(n.Content[i], path, "a key must be a plain value, got %s", kindName(n.Content[i]))
				continue
			}
			p := path + "[" + strconv.Quote(kn.Value) + "]"
			if l, dup := first[kn.Value]; dup {
				d.fail(n.Content[i], p, "key given twice (first on line %d)", l)
				continue
			}
			first[kn.Value] = kn.Line
			e := reflect.New(v.Type().Elem()).Elem()
			if d.scalar(n.Content[i+1], e, p) {
				m.SetMapIndex(reflect.ValueOf(kn.Value).Convert(v.Type().Key()), e)
			}
		}
		v.Set(m)
	default:
		d.scalar(n, v, path)
	}
}

func (d *decoder) structure(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		if path == "" {
			d.fail(n, path, "want a mapping of enrollments:, reports:, usage_details: and budgets: at the top level, got %s", kindName(n))
		} else {
			d.fail(n, path, "want a mapping, got %s", kindName(n))
		}
		return
	}
	fields := map[string]int{}
	var names []string
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if tag != "" && tag != "-" && t.Field(i).IsExported() {
			fields[tag] = i
			names = append(names, tag)
		}
	}
	first := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn := n.Content[i]
		key := kn.Value
		p := join(path, key)
		if l, dup := first[key]; dup {
			d.fail(kn, p, "key given twice (first on line %d)", l)
			continue
		}
		first[key] = kn.Line
		idx, ok := fields[key]
		if !ok {
			if s := closest(key, names); s != "" {
				d.fail(kn, p, "unknown key (did you mean %s?)", s)
			} else {
				d.fail(kn, p, "unknown key")
			}
			continue
		}
		d.value(n.Content[i+1], v.Field(idx), p)
	}
}

// scalar decodes a scalar into v, with messages that name the value; it
// reports whether v was set.
func (d *decoder) scalar(n *yaml.Node, v reflect.Value, path string) bool {
	if n = resolve(n); n == nil || isNull(n) {
		return false
	}
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, "want %s, got %s", want(v.Kind()), kindName(n))
		return false
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(n.Value)
	case reflect.Bool:
		var b bool
		if n.Decode(&b) != nil {
			d.fail(n, path, "%q is not true or false", n.Value)
			return false
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		f, ok := d.number(n, path)
		if !ok {
			return false
		}
		if f != math.Trunc(f) {
			d.fail(n, path, "%s is not a whole number", n.Value)
			return false
		}
		if f < math.MinInt32 || f > math.MaxInt32 {
			d.fail(n, path, "%s is out of range", n.Value)
			return false
		}
		v.SetInt(int64(f))
	case reflect.Float64:
		f, ok := d.number(n, path)
		if !ok {
			return false
		}
		v.SetFloat(f)
	default:
		if err := n.Decode(v.Addr().Interface()); err != nil {
			d.fail(n, path, "%s", cleanYAMLError(err))
			return false
		}
	}
	return true
}

// number reads a numeric scalar: YAML's ints (decimal, 0x, 0o) and floats
// (including .inf and .nan, which validation rejects where they matter).
func (d *decoder) number(n *yaml.Node, path string) (float64, bool) {
	var x any
	if n.Decode(&x) == nil {
		switch x := x.(type) {
		case int:
			return float64(x), true
		case int64:
			return float64(x), true
		case uint64:
			return float64(x), true
		case float64:
			return x, true
		}
	}
	// yaml.v3 resolves a number it cannot hold (1e400) as a string.
	if _, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64); errors.Is(err, strconv.ErrRange) {
		d.fail(n, path, "%s is out of range", n.Value)
		return 0, false
	}
	d.fail(n, path, "%q is not a number", n.Value)
	return 0, false
}

func want(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Float64:
		return "a number"
	default:
		return "a single value"
	}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	default:
		return fmt.Sprintf("%q", n.Value)
	}
}

// cleanYAMLError drops yaml.v3's "yaml: unmarshal errors:\n  line N:"
// frame: the problem already says where.
func cleanYAMLError(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "yaml: unmarshal errors:\n")
	s = strings.TrimSpace(s)
	if i := strings.Index(s, ": "); strings.HasPrefix(s, "line ") && i > 0 {
		s = s[i+2:]
	}
	return strings.TrimPrefix(s, "yaml: ")
}

// closest returns the candidate within two edits of s, if there is one
// (the nearest; the first of equals).
func closest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of two short strings.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
