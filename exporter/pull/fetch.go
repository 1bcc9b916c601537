package pull

import (
	"context"
	"fmt"
	"net/http"

	"golang.org/x/sync/errgroup"

	"github.com/postmortem-exporter/postmortem-exporter/internal/apiclient"
)

// Fetch calls fetch for each of in, at most limit at once, and returns
// their answers in the order of in: a source reads the details of a page
// of incidents (follow-ups, log entries) concurrently and emits them in
// the order it listed them. The first error cancels the others.
func Fetch[In, Out any](ctx context.Context, limit int, in []In, fetch func(context.Context, In) (Out, error)) ([]Out, error) {
	out := make([]Out, len(in))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(max(limit, 1))
	for i, v := range in {
		g.Go(func() error {
			got, err := fetch(ctx, v)
			out[i] = got
			return err
		})
	}
	return out, g.Wait()
}

// NewClient returns the API client of a source and how many of its
// requests Fetch may run at once: api with defaultBase when it names no
// base URL, and the credentials set by auth. An empty token is refused
// here, naming the source, before any request.
func NewClient(source, defaultBase, token string, api apiclient.Config, auth func(h http.Header, token string)) (*apiclient.Client, int, error) {
	if token == "" {
		return nil, 0, fmt.Errorf("%s: no API token (the token setting is empty)", source)
	}
	if api.BaseURL == "" {
		api.BaseURL = defaultBase
	}
	api.Auth = func(h http.Header) { auth(h, token) }
	client, err := apiclient.New(api)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", source, err)
	}
	if api.Concurrency <= 0 {
		api.Concurrency = apiclient.DefaultConcurrency
	}
	return client, api.Concurrency, nil
}
