package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is one thing wrong in a configuration file (or, as a warning,
// one thing that works but should not be left as it is): where it is, by
// YAML path and by position, and what it is.
type Problem struct {
	// Path is the YAML path of the offending node, like
	// enrollments[0].number; empty for the file as a whole.
	Path string
	// Line and Column locate the offending node (1-based); zero when the
	// node is not in the file (a required key left out is placed at its
	// parent) or, for Column, not known.
	Line, Column int
	// Msg says what is wrong.
	Msg string
}

// Error renders the problem as `path (line L, column C): message`.
func (p *Problem) Error() string {
	where := ""
	switch {
	case p.Line > 0 && p.Column > 0:
		where = fmt.Sprintf("line %d, column %d", p.Line, p.Column)
	case p.Line > 0:
		where = fmt.Sprintf("line %d", p.Line)
	}
	switch {
	case p.Path != "" && where != "":
		return p.Path + " (" + where + "): " + p.Msg
	case p.Path != "":
		return p.Path + ": " + p.Msg
	case where != "":
		return where + ": " + p.Msg
	default:
		return p.Msg
	}
}

// Problems is every problem found in a configuration file, in file order.
// Each element is a *Problem.
type Problems []error

func (p Problems) Error() string {
	s := make([]string, len(p))
	for i, e := range p {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// sortProblems puts problems in file order: by line, then column, those
// about the file as a whole first; problems at one place keep the order
// they were found in.
func sortProblems(ps []*Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Line != ps[j].Line {
			return ps[i].Line < ps[j].Line
		}
		return ps[i].Column < ps[j].Column
	})
}

// index maps YAML paths to the nodes of a parsed file, so that a problem
// found while validating the decoded values can name its position.
type index struct {
	values map[string]*yaml.Node // the value at a path
	keys   map[string]*yaml.Node // the key node of a mapping entry
}

func newIndex(root *yaml.Node) *index {
	x := &index{values: map[string]*yaml.Node{}, keys: map[string]*yaml.Node{}}
	if root != nil && root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		x.walk(root.Content[0], "")
	}
	return x
}

// walk records n at path and descends. Aliases are recorded but not
// followed: a problem inside an aliased node is placed at the alias, and a
// file of nested aliases cannot make the walk explode.
func (x *index) walk(n *yaml.Node, path string) {
	x.values[path] = n
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			// A mapping of structs is addressed as a.b, a map of names
			// (tags, match) also as a["b"]; the first of duplicate keys wins.
			p := join(path, k.Value)
			if _, dup := x.keys[p]; dup {
				continue
			}
			x.keys[p] = k
			x.walk(v, p)
			q := path + "[" + strconv.Quote(k.Value) + "]"
			x.keys[q], x.values[q] = k, v
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			x.walk(item, path+"["+strconv.Itoa(i)+"]")
		}
	}
}

// has tells whether the file has a key at path.
func (x *index) has(path string) bool {
	_, ok := x.keys[path]
	return ok
}

// pos is the position of the value at path or, when the file does not
// have it, of its nearest ancestor that it has. A top-level key the file
// does not have has no position: it is about the file as a whole.
func (x *index) pos(path string) (line, col int) {
	for path != "" {
		if n, ok := x.values[path]; ok {
			return n.Line, n.Column
		}
		path = parent(path)
	}
	return 0, 0
}

// keyPos is the position of the key at path, or pos(path).
func (x *index) keyPos(path string) (line, col int) {
	if k, ok := x.keys[path]; ok {
		return k.Line, k.Column
	}
	return x.pos(path)
}

// parent strips the last element of a YAML path: a.b -> a, a[0] -> a,
// a["x.y"] -> a.
func parent(path string) string {
	if strings.HasSuffix(path, `"]`) {
		if i := strings.LastIndex(path, `["`); i >= 0 {
			return path[:i]
		}
	}
	if strings.HasSuffix(path, "]") {
		if i := strings.LastIndex(path, "["); i >= 0 {
			return path[:i]
		}
	}
	if i := strings.LastIndex(path, "."); i >= 0 {
		return path[:i]
	}
	return ""
}

// maxSyntaxProbeLines bounds the search for the line of a syntax error:
// a configuration file is far shorter.
const maxSyntaxProbeLines = 2000

// syntaxProblem turns a YAML syntax error into a Problem that points at
// the line at fault. yaml.v3 reports the line where the enclosing block
// started (or, on the first line, no line at all), so the line is found
// as the shortest prefix of the file that fails with the same error.
func syntaxProblem(b []byte, err error) *Problem {
	msg, reported := yamlErrorText(err)
	lines := strings.SplitAfter(string(b), "\n")
	line := reported
	start := max(reported-1, 1)
	for k := start; k <= len(lines) && k < start+maxSyntaxProbeLines; k++ {
		var n yaml.Node
		e := yaml.Unmarshal([]byte(strings.Join(lines[:k], "")), &n)
		if m, _ := yamlErrorText(e); e != nil && m == msg {
			line = k
			break
		}
	}
	if tl, tc := tabIndent(lines, line); tl > 0 {
		return &Problem{Line: tl, Column: tc, Msg: "tab used for indentation; YAML allows only spaces"}
	}
	if h := syntaxHints[msg]; h != "" {
		msg += " (" + h + ")"
	}
	return &Problem{Line: line, Msg: "not valid YAML: " + msg}
}

// syntaxHints explain yaml.v3's commonest syntax errors.
var syntaxHints = map[string]string{
	"did not find expected key":                      "is this line indented like the keys it belongs with?",
	"mapping values are not allowed in this context": `a "key:" where none can start: check the indentation, or quote a value that contains ": "`,
	"did not find expected ',' or ']'":               "a [ list is not closed",
	"did not find expected ',' or '}'":               "a { mapping is not closed",
	"could not find expected ':'":                    `a key without ":"; a space must follow the colon`,
	"did not find expected '-' indicator":            "a list item and a key at the same indentation",
	"found unexpected end of stream":                 "a quote is not closed",
	"found character that cannot start any token":    "quote a value that starts with @ or `",
}

// yamlErrorText splits a yaml.v3 error into its message and the line it
// names (0 when none).
func yamlErrorText(err error) (msg string, line int) {
	if err == nil {
		return "", 0
	}
	msg = strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.Index(rest, ": "); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil {
				return rest[i+2:], n
			}
		}
	}
	return msg, 0
}

// tabIndent finds the first line, up to and including line, whose
// indentation holds a tab (a tab after the indentation is white space
// YAML allows). It returns the tab's line and column, or 0, 0.
func tabIndent(lines []string, line int) (int, int) {
	for i := 0; i < len(lines) && i < line; i++ {
		l := strings.TrimRight(lines[i], "\r\n")
		indent := len(l) - len(strings.TrimLeft(l, " \t"))
		if indent == len(l) {
			continue // blank
		}
		if c := strings.IndexByte(l[:indent], '\t'); c >= 0 {
			return i + 1, c + 1
		}
	}
	return 0, 0
}
