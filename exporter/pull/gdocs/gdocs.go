// Package gdocs is the Google Docs pull source: the documents of a Drive
// folder (Drive API v3 files.list), each exported as HTML (files.export)
// and read by the document package (docs/pull.md).
package gdocs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/pull"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/pull/document"
	"github.com/postmortem-exporter/postmortem-exporter/internal/apiclient"
)

// DefaultBaseURL is Google's API root.
const DefaultBaseURL = "https://www.googleapis.com"

// docMIME is the MIME type of a Google Docs document in Drive.
const docMIME = "application/vnd.google-apps.document"

// Config is the source's settings.
type Config struct {
	// API is the client's settings; its BaseURL defaults to
	// DefaultBaseURL.
	API apiclient.Config
	// Token is an OAuth 2.0 access token with a Drive read scope.
	Token string
	// Folder is the Drive folder's id.
	Folder  string
	Mapping pull.SourceMapping
}

// Source lists the documents of one folder.
type Source struct {
	client      *apiclient.Client
	folder      string
	mapping     pull.SourceMapping
	concurrency int
}

// New returns the source of cfg.
func New(cfg Config) (*Source, error) {
	if cfg.Folder == "" {
		return nil, errors.New("gdocs: the Drive folder id is not set")
	}
	if cfg.Token == "" {
		return nil, errors.New("gdocs: no access token (POSTMORTEM_GDOCS_TOKEN or POSTMORTEM_GDOCS_TOKEN_FILE)")
	}
	if cfg.API.BaseURL == "" {
		cfg.API.BaseURL = DefaultBaseURL
	}
	token := cfg.Token
	cfg.API.Auth = func(h http.Header) { h.Set("Authorization", "Bearer "+token) }
	c, err := apiclient.New(cfg.API)
	if err != nil {
		return nil, fmt.Errorf("gdocs: %w", err)
	}
	return &Source{client: c, folder: cfg.Folder, mapping: cfg.Mapping, concurrency: max(cfg.API.Concurrency, apiclient.DefaultConcurrency)}, nil
}

// Name is "gdocs".
func (s *Source) Name() string { return "gdocs" }

// ListsEverything is true: a pull from no cursor lists the folder's documents, trashed ones included, so
// one no longer listed is reported gone.
func (s *Source) ListsEverything() bool { return true }

// file is the part of a Drive File resource the source reads.
type file struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	MimeType     string    `json:"mimeType"`
	ModifiedTime time.Time `json:"modifiedTime"`
	WebViewLink  string    `json:"webViewLink"`
	Trashed      bool      `json:"trashed"`
}

// fileList is the part of a FileList the source reads.
type fileList struct {
	Files            []file `json:"files"`
	NextPageToken    string `json:"nextPageToken"`
	IncompleteSearch bool   `json:"incompleteSearch"`
}

// Pull lists the folder's documents modified after cursor (an RFC 3339
// time), oldest first, exports each as HTML and returns the latest
// modifiedTime seen.
func (s *Source) Pull(ctx context.Context, cursor string, emit func(pull.Incident) error) (string, error) {
	q := fmt.Sprintf("'%s' in parents and mimeType = '%s'", quote(s.folder), docMIME)
	var since time.Time
	if cursor != "" {
		var err error
		if since, err = time.Parse(time.RFC3339Nano, cursor); err != nil {
			return "", fmt.Errorf("gdocs: cursor %q: %w", cursor, err)
		}
		q += fmt.Sprintf(" and modifiedTime > '%s'", since.UTC().Format(time.RFC3339Nano))
	}
	latest := since
	token := ""
	for {
		query := url.Values{
			"q": {q}, "orderBy": {"modifiedTime"}, "pageSize": {"100"},
			"fields":                    {"nextPageToken,incompleteSearch,files(id,name,mimeType,modifiedTime,webViewLink,trashed)"},
			"supportsAllDrives":         {"true"},
			"includeItemsFromAllDrives": {"true"},
		}
		if token != "" {
			query.Set("pageToken", token)
		}
		var list fileList
		if _, err := s.client.JSON(ctx, apiclient.Request{Path: "drive/v3/files", Query: query}, &list); err != nil {
			return "", err
		}
		if list.IncompleteSearch {
			return "", errors.New("gdocs: Drive answered an incomplete search: try again later")
		}
		incidents, err := s.export(ctx, list.Files)
		if err != nil {
			return "", err
		}
		for i, inc := range incidents {
			if err := emit(inc); err != nil {
				return "", err
			}
			if t := list.Files[i].ModifiedTime; t.After(latest) {
				latest = t
			}
		}
		if list.NextPageToken == "" {
			break
		}
		token = list.NextPageToken
	}
	if latest.IsZero() {
		return cursor, nil
	}
	return latest.UTC().Format(time.RFC3339Nano), nil
}

// export exports a page of documents, a few at a time, in their order.
func (s *Source) export(ctx context.Context, files []file) ([]pull.Incident, error) {
	out := make([]pull.Incident, len(files))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(s.concurrency)
	for i, f := range files {
		if f.ID == "" {
			return nil, fmt.Errorf("gdocs: a file without an id in the folder's list")
		}
		inc := pull.Incident{SourceID: f.ID, URL: f.WebViewLink, UpdatedAt: f.ModifiedTime}
		if f.Trashed {
			inc.Gone = "trashed in Google Drive"
			out[i] = inc
			continue
		}
		g.Go(func() error {
			data, _, err := s.client.Body(ctx, apiclient.Request{
				Path:   "drive/v3/files/" + url.PathEscape(f.ID) + "/export",
				Query:  url.Values{"mimeType": {"text/html"}},
				Header: http.Header{"Accept": {"text/html"}},
			})
			if err != nil {
				return err
			}
			doc, err := document.Read(data, document.HTML, f.ID, f.Name, s.mapping)
			if err != nil {
				return fmt.Errorf("gdocs: document %s: %w", f.ID, err)
			}
			doc.URL, doc.UpdatedAt = f.WebViewLink, f.ModifiedTime
			out[i] = doc
			return nil
		})
	}
	return out, g.Wait()
}

// quote escapes a value for a Drive query's single-quoted string.
func quote(s string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s)
}
