package trackers

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/postmortem-exporter/postmortem-exporter/internal/redact"
)

// Keys returns the distinct keys refs name, sorted.
func Keys(refs []Ref) []string {
	keys := make([]string, 0, len(refs))
	for _, r := range refs {
		keys = append(keys, r.Key)
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// ReadInBatches calls read on keys in batches of at most size, all at
// once (the API client bounds the requests in flight), and merges what
// they return. The first error cancels the other batches and is returned
// alone: a tracker answers for all its tickets or not at all.
func ReadInBatches(ctx context.Context, keys []string, size int,
	read func(ctx context.Context, batch []string) (map[string]Ticket, error)) (map[string]Ticket, error) {
	g, ctx := errgroup.WithContext(ctx)
	var mu sync.Mutex
	all := make(map[string]Ticket, len(keys))
	for batch := range slices.Chunk(keys, size) {
		g.Go(func() error {
			got, err := read(ctx, batch)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			for k, t := range got {
				all[k] = t
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return all, nil
}

// OnSite parses raw and tells whether it is an address under site: same
// scheme and host (case aside), and a path that is site's path or below
// it, so https://jira.acme.com/x does not claim https://jira.acme.com/xy.
func OnSite(site *url.URL, raw string) (*url.URL, bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || !strings.EqualFold(u.Scheme, site.Scheme) || !strings.EqualFold(u.Host, site.Host) {
		return nil, false
	}
	base := strings.TrimSuffix(site.Path, "/")
	if u.Path != base && !strings.HasPrefix(u.Path, base+"/") {
		return nil, false
	}
	return u, true
}

// SiteURL parses a tracker's url: an absolute http(s) address.
func SiteURL(t Tracker) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(t.URL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &FieldError{Kind: t.Kind, URL: redact.WithoutCredentials(t.URL), Field: "url", Reason: "not an absolute http(s) address"}
	}
	if u.User != nil {
		return nil, &FieldError{Kind: t.Kind, URL: redact.WithoutCredentials(t.URL), Field: "url", Reason: "credentials belong in token_env or token_file, not in the address"}
	}
	return u, nil
}

// FieldError is a tracker entry a client cannot work with, naming the
// field and why.
type FieldError struct {
	Kind, URL, Field, Reason string
}

func (e *FieldError) Error() string {
	return e.Kind + " tracker " + e.URL + ": " + e.Field + ": " + e.Reason
}
