package lint

import (
	"regexp"
	"slices"
	"strings"
)

// vectorSelector is one selector of an expression: the metric name, its
// matchers as written, its range if any, and the function it is an
// argument of.
type vectorSelector struct {
	name     string
	matchers []string
	rangeOf  string
	function string
}

// promqlWords are the PromQL keywords that look like metric names.
var promqlWords = []string{"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan"}

// aggregations may take a label list before their parenthesis.
var aggregations = []string{"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile"}

// labelListWords are followed by a list of label names, not selectors.
var labelListWords = []string{"by", "without", "on", "ignoring", "group_left", "group_right"}

var (
	identRE   = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*`)
	matcherRE = regexp.MustCompile(`^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*")\s*,?`)
	numberRE  = regexp.MustCompile(`^[0-9][0-9.eE+-]*`)
)

// selectors lists the vector selectors of a PromQL expression. It is a
// lexer, not a parser: enough for the expressions this package writes,
// which the dashboards' tests have promtool parse (Expressions).
func selectors(expr string) []vectorSelector {
	var out []vectorSelector
	var calls []string // the function or aggregation of each open parenthesis
	pending := ""      // an identifier followed by "(" opens a call
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == ' ' || c == '\n' || c == '\t' || c == ',' || c == ')':
			if c == ')' && len(calls) > 0 {
				calls = calls[:len(calls)-1]
			}
			i++
		case c == '"':
			end := strings.IndexByte(expr[i+1:], '"')
			i += end + 2
		case c == '(':
			calls = append(calls, pending)
			pending = ""
			i++
		case c >= '0' && c <= '9':
			i += len(numberRE.FindString(expr[i:]))
		case c == '{' || identRE.MatchString(expr[i:]):
			name := identRE.FindString(expr[i:])
			i += len(name)
			rest := strings.TrimLeft(expr[i:], " ")
			if name != "" && slices.Contains(labelListWords, name) {
				// Skip the label list.
				if strings.HasPrefix(rest, "(") {
					i = len(expr) - len(rest) + strings.IndexByte(rest, ')') + 1
				}
				continue
			}
			if name != "" && (slices.Contains(promqlWords, strings.ToLower(name)) || slices.Contains(aggregations, name) || strings.HasPrefix(rest, "(")) {
				pending = name
				continue
			}
			s := vectorSelector{name: name}
			if strings.HasPrefix(rest, "{") {
				i = len(expr) - len(rest) + 1
				for {
					mm := matcherRE.FindStringSubmatch(expr[i:])
					if mm == nil {
						break
					}
					s.matchers = append(s.matchers, mm[1]+mm[2]+mm[3])
					i += len(mm[0])
				}
				i += strings.IndexByte(expr[i:], '}') + 1
				rest = strings.TrimLeft(expr[i:], " ")
			}
			if strings.HasPrefix(rest, "[") {
				end := strings.IndexByte(rest, ']')
				s.rangeOf = rest[1:end]
				i = len(expr) - len(rest) + end + 1
			}
			if len(calls) > 0 {
				s.function = calls[len(calls)-1]
			}
			out = append(out, s)
		default:
			i++
		}
	}
	return out
}
