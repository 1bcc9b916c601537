package trackers

import "context"

// ReadMissing reads, one at a time with one, each of keys that got has no
// ticket for (a ticket a batched read did not return: moved, deleted or
// hidden, which one tells), and adds it to got. The first error is the
// tracker's, and returned.
func ReadMissing(ctx context.Context, keys []string, got map[string]Ticket,
	one func(ctx context.Context, key string) (Ticket, error)) error {
	for _, k := range keys {
		if _, ok := got[k]; ok {
			continue
		}
		t, err := one(ctx, k)
		if err != nil {
			return err
		}
		got[k] = t
	}
	return nil
}
