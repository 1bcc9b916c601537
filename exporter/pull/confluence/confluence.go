// Package confluence is the Confluence pull source: the pages of a space
// (optionally under an ancestor page or with a label), each read in
// storage format by the document package: its Page Properties table
// gives the fields, an action-item table the items, the rest the
// narrative (docs/pull.md). Cloud is read through REST API v2, Data
// Center through REST API v1; a label or an ancestor selects the pages
// with a CQL search on both.
package confluence

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/pull"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/pull/document"
	"github.com/postmortem-exporter/postmortem-exporter/internal/apiclient"
)

// Flavors of Confluence.
const (
	Cloud      = "cloud"
	DataCenter = "datacenter"
)

// pageSize is the pages asked for per request.
const pageSize = 50

// Config is the source's settings.
type Config struct {
	// API is the client's settings; its BaseURL is the site's
	// Confluence root: https://example.atlassian.net/wiki on Cloud,
	// https://confluence.example.com (with its context path) on Data
	// Center.
	API apiclient.Config
	// Flavor is Cloud or DataCenter.
	Flavor string
	// User is the Atlassian account's email (Cloud: basic auth with an
	// API token); empty on Data Center, whose Token is a personal access
	// token sent as a bearer token.
	User  string
	Token string
	// Space is the space's key; Label and Ancestor (a page id) narrow
	// the pages.
	Space, Label, Ancestor string
	Mapping                pull.SourceMapping
}

// Source lists the post-mortem pages of one space.
type Source struct {
	client   *apiclient.Client
	cfg      Config
	basePath string // the base URL's path, which next links repeat on Cloud
}

// New returns the source of cfg.
func New(cfg Config) (*Source, error) {
	switch {
	case cfg.Flavor != Cloud && cfg.Flavor != DataCenter:
		return nil, fmt.Errorf("confluence: flavor %q: want %s or %s", cfg.Flavor, Cloud, DataCenter)
	case cfg.Space == "":
		return nil, errors.New("confluence: the space key is not set")
	case cfg.Token == "":
		return nil, errors.New("confluence: no token (POSTMORTEM_CONFLUENCE_TOKEN or POSTMORTEM_CONFLUENCE_TOKEN_FILE)")
	case cfg.Flavor == Cloud && cfg.User == "":
		return nil, errors.New("confluence: Cloud needs the account's email (POSTMORTEM_CONFLUENCE_USER) with its API token")
	}
	auth := "Bearer " + cfg.Token
	if cfg.Flavor == Cloud {
		auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(cfg.User+":"+cfg.Token))
	}
	cfg.API.Auth = func(h http.Header) { h.Set("Authorization", auth) }
	c, err := apiclient.New(cfg.API)
	if err != nil {
		return nil, fmt.Errorf("confluence: %w", err)
	}
	base, _ := url.Parse(cfg.API.BaseURL) // parsed by apiclient.New
	return &Source{client: c, cfg: cfg, basePath: strings.TrimSuffix(base.Path, "/")}, nil
}

// Name is "confluence".
func (s *Source) Name() string { return "confluence" }

// ListsEverything is true: a pull from no cursor lists the space's pages (under the label or ancestor), so
// one no longer listed is reported gone.
func (s *Source) ListsEverything() bool { return true }

// page is a page as both APIs tell it, once read.
type page struct {
	id, title, status, webui, storage string
	modified                          time.Time
}

// Pull lists the space's pages changed after cursor (an RFC 3339 time)
// and returns the latest change seen.
func (s *Source) Pull(ctx context.Context, cursor string, emit func(pull.Incident) error) (string, error) {
	var since time.Time
	if cursor != "" {
		var err error
		if since, err = time.Parse(time.RFC3339Nano, cursor); err != nil {
			return "", fmt.Errorf("confluence: cursor %q: %w", cursor, err)
		}
	}
	latest := since
	each := func(p page) error {
		if !p.modified.After(since) {
			return nil
		}
		if p.modified.After(latest) {
			latest = p.modified
		}
		inc := pull.Incident{SourceID: p.id, URL: s.webURL(p.webui), UpdatedAt: p.modified}
		switch p.status {
		case "", "current":
			doc, err := document.Read([]byte(p.storage), document.HTML, p.id, p.title, s.cfg.Mapping)
			if err != nil {
				return fmt.Errorf("confluence: page %s: %w", p.id, err)
			}
			doc.URL, doc.UpdatedAt = inc.URL, inc.UpdatedAt
			inc = doc
		default:
			inc.Gone = "page " + p.status + " in Confluence"
		}
		return emit(inc)
	}
	var err error
	switch {
	case s.cfg.Label != "" || s.cfg.Ancestor != "":
		err = s.search(ctx, since, each)
	case s.cfg.Flavor == Cloud:
		err = s.spacePages(ctx, since, each)
	default:
		err = s.content(ctx, each)
	}
	if err != nil {
		return "", err
	}
	if latest.IsZero() {
		return cursor, nil
	}
	return latest.UTC().Format(time.RFC3339Nano), nil
}

func (s *Source) webURL(webui string) string {
	if webui == "" {
		return ""
	}
	return strings.TrimSuffix(s.cfg.API.BaseURL, "/") + webui
}

// next is a next-page link as the client resolves it: Cloud's v2 links
// start with the site's /wiki, which the base URL already has.
func (s *Source) next(link string) string {
	if s.basePath != "" && strings.HasPrefix(link, s.basePath+"/") {
		return strings.TrimPrefix(link, s.basePath)
	}
	return link
}

// v2Page is the part of a Cloud REST v2 page the source reads.
type v2Page struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	Title   string `json:"title"`
	Version struct {
		CreatedAt time.Time `json:"createdAt"`
	} `json:"version"`
	Body struct {
		Storage struct {
			Value string `json:"value"`
		} `json:"storage"`
	} `json:"body"`
	Links struct {
		WebUI string `json:"webui"`
	} `json:"_links"`
}

type v2List[T any] struct {
	Results []T `json:"results"`
	Links   struct {
		Next string `json:"next"`
	} `json:"_links"`
}

// spacePages lists a Cloud space's pages through REST v2, the most
// recently modified first, up to the cursor.
func (s *Source) spacePages(ctx context.Context, since time.Time, each func(page) error) error {
	var spaces v2List[struct {
		ID  json64 `json:"id"`
		Key string `json:"key"`
	}]
	if _, err := s.client.JSON(ctx, apiclient.Request{Path: "api/v2/spaces", Query: url.Values{"keys": {s.cfg.Space}}}, &spaces); err != nil {
		return err
	}
	if len(spaces.Results) != 1 {
		return fmt.Errorf("confluence: space %q: %d spaces found", s.cfg.Space, len(spaces.Results))
	}
	req := apiclient.Request{Path: "api/v2/spaces/" + url.PathEscape(string(spaces.Results[0].ID)) + "/pages",
		Query: url.Values{"body-format": {"storage"}, "sort": {"-modified-date"}, "limit": {strconv.Itoa(pageSize)}}}
	for {
		var list v2List[v2Page]
		if _, err := s.client.JSON(ctx, req, &list); err != nil {
			return err
		}
		for _, p := range list.Results {
			if !p.Version.CreatedAt.After(since) {
				return nil // older ones were pulled before
			}
			if err := each(page{id: p.ID, title: p.Title, status: p.Status, webui: p.Links.WebUI, storage: p.Body.Storage.Value, modified: p.Version.CreatedAt}); err != nil {
				return err
			}
		}
		if list.Links.Next == "" {
			return nil
		}
		req = apiclient.Request{Path: s.next(list.Links.Next)}
	}
}

// v1Content is the part of a REST v1 content the source reads.
type v1Content struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Title  string `json:"title"`
	Body   struct {
		Storage struct {
			Value string `json:"value"`
		} `json:"storage"`
	} `json:"body"`
	Version struct {
		When time.Time `json:"when"`
	} `json:"version"`
	Links struct {
		WebUI string `json:"webui"`
	} `json:"_links"`
}

// content lists a Data Center space's pages through REST v1, by start
// and limit.
func (s *Source) content(ctx context.Context, each func(page) error) error {
	return s.v1(ctx, apiclient.Request{Path: "rest/api/content", Query: url.Values{
		"spaceKey": {s.cfg.Space}, "type": {"page"}, "expand": {"body.storage,version"}, "limit": {strconv.Itoa(pageSize)}, "start": {"0"},
	}}, each)
}

// search lists the pages of a CQL search: the space's pages with the
// label, under the ancestor, changed since the cursor's minute (CQL
// compares minutes; a page seen again is written again idempotently).
func (s *Source) search(ctx context.Context, since time.Time, each func(page) error) error {
	cql := fmt.Sprintf("type = page AND space = %s", cqlString(s.cfg.Space))
	if s.cfg.Label != "" {
		cql += " AND label = " + cqlString(s.cfg.Label)
	}
	if s.cfg.Ancestor != "" {
		cql += " AND ancestor = " + cqlString(s.cfg.Ancestor)
	}
	if !since.IsZero() {
		cql += fmt.Sprintf(" AND lastmodified >= %q", since.UTC().Format("2006/01/02 15:04"))
	}
	cql += " ORDER BY lastmodified ASC"
	return s.v1(ctx, apiclient.Request{Path: "rest/api/content/search", Query: url.Values{
		"cql": {cql}, "expand": {"body.storage,version"}, "limit": {strconv.Itoa(pageSize)},
	}}, each)
}

// v1 follows a REST v1 list's next links.
func (s *Source) v1(ctx context.Context, req apiclient.Request, each func(page) error) error {
	for {
		var list struct {
			Results []v1Content `json:"results"`
			Links   struct {
				Next string `json:"next"`
			} `json:"_links"`
		}
		if _, err := s.client.JSON(ctx, req, &list); err != nil {
			return err
		}
		for _, c := range list.Results {
			if err := each(page{id: c.ID, title: c.Title, status: c.Status, webui: c.Links.WebUI, storage: c.Body.Storage.Value, modified: c.Version.When}); err != nil {
				return err
			}
		}
		if list.Links.Next == "" {
			return nil
		}
		req = apiclient.Request{Path: s.next(list.Links.Next)}
	}
}

// cqlString quotes a CQL string value.
func cqlString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// json64 is an id that older answers give as a number and newer ones as
// a string.
type json64 string

func (j *json64) UnmarshalJSON(b []byte) error {
	*j = json64(strings.Trim(string(b), `"`))
	return nil
}
