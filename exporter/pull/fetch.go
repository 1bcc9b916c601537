package pull

import (
	"context"

	"golang.org/x/sync/errgroup"
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
