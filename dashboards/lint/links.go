package lint

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
)

// PackTag is the tag every dashboard of the pack carries; each links to
// the others through a menu of the dashboards with it.
const PackTag = "postmortem"

// lintNavigation (dashboard-links): the dashboard carries PackTag and a
// links menu of the dashboards with that tag, keeping the variables and
// the time range.
func lintNavigation(d Dashboard, ps *problems) {
	if !slices.Contains(d.Tags, PackTag) {
		ps.add("dashboard-links", d.Title, "no %s tag", PackTag)
	}
	linked := slices.ContainsFunc(d.Links, func(l Link) bool {
		return l.Type == "dashboards" && slices.Contains(l.Tags, PackTag) && l.IncludeVars && l.KeepTime
	})
	if !linked {
		ps.add("dashboard-links", d.Title, "no link to the other dashboards keeping variables and time: %+v", d.Links)
	}
}

// urlVariable matches a variable in a URL: ${name}, ${name:format},
// $name or the deprecated [[name]].
var urlVariable = regexp.MustCompile(`\$\{([^}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)|\[\[([^\]]*)\]\]`)

// encodedFormats put a value into a URL encoded: percentencode for a
// path segment or a query value, queryparam for a whole var-name=value
// pair.
var encodedFormats = []string{"percentencode", "queryparam"}

// preformatted are Grafana's variables that are already query strings
// (Grafana skips their format).
var preformatted = []string{"__url_time_range", "__all_variables"}

// lintLinkEncoding (link-url-encoding): every variable in a link's URL
// (dashboard links, data links, table column links) names its format, so
// that a value such as a team "a&b c/d" can neither cut nor extend the
// URL: percentencode or queryparam inside the URL, raw only for a value
// that is the whole URL (a ticket link); a bare variable is refused
// because Grafana's default format changed across versions (none before
// 10, percent-encoding since, which mangles a whole URL).
func lintLinkEncoding(d Dashboard, ps *problems) {
	for _, l := range d.Links {
		checkURL(d.Title+", link "+l.Title, l.URL, ps)
	}
	for _, p := range d.Panels {
		at := where(d, p)
		for _, l := range p.FieldConfig.Defaults.Links {
			checkURL(at+", link "+l.Title, l.URL, ps)
		}
		for _, o := range p.FieldConfig.Overrides {
			for _, prop := range o.Properties {
				if prop.ID != "links" {
					continue
				}
				var links []DataLink
				if err := json.Unmarshal(prop.Value, &links); err != nil {
					ps.add("link-url-encoding", at, "links of column %q unreadable: %v", o.Matcher.Options, err)
				}
				for _, l := range links {
					checkURL(at+", link "+l.Title, l.URL, ps)
				}
			}
		}
	}
}

// checkURL reports each variable of url that is not encoded.
func checkURL(at, url string, ps *problems) {
	for _, m := range urlVariable.FindAllStringSubmatchIndex(url, -1) {
		text := url[m[0]:m[1]]
		if m[2] < 0 { // $name or [[name]]: no format possible
			ps.add("link-url-encoding", at, "%s in %q has no format: write ${name:percentencode}", text, url)
			continue
		}
		name, format, _ := strings.Cut(url[m[2]:m[3]], ":")
		whole := m[0] == 0 && m[1] == len(url)
		switch {
		case slices.Contains(preformatted, name), slices.Contains(encodedFormats, format):
		case format == "raw" && whole:
		case whole:
			ps.add("link-url-encoding", at, "%s is the whole URL: write ${%s:raw} (a URL value), not the default format that percent-encodes it", text, name)
		default:
			ps.add("link-url-encoding", at, "%s in %q is not encoded: write ${%s:percentencode}", text, url, name)
		}
	}
}
