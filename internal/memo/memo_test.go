package memo

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

type snap struct{ n int }

// TestOncePerSnapshotAndKey: 50 concurrent callers of one key share one
// computation; another key, then another snapshot, compute again; asking
// about the first snapshot again after the second computes afresh (only
// the latest snapshot's values are kept).
func TestOncePerSnapshotAndKey(t *testing.T) {
	var m Memo[snap, string, int]
	first, second := &snap{1}, &snap{2}
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			v, err := m.Get(context.Background(), first, "html", func() (int, error) { <-release; return first.n * 10, nil })
			if v != 10 || err != nil {
				t.Errorf("Get = %d, %v; want 10", v, err)
			}
		})
	}
	time.Sleep(50 * time.Millisecond) // let the callers pile up behind the one computation
	close(release)
	wg.Wait()
	get := func(s *snap, key string) int {
		v, _ := m.Get(context.Background(), s, key, func() (int, error) { return s.n * 100, nil })
		return v
	}
	steps := []struct {
		s        *snap
		key      string
		want     int
		computed int64
	}{
		{first, "html", 10, 1},   // kept
		{first, "md", 100, 2},    // another key
		{second, "html", 200, 3}, // another snapshot
		{second, "html", 200, 3},
		{first, "html", 100, 4}, // the first snapshot's values were dropped
	}
	for i, st := range steps {
		if got := get(st.s, st.key); got != st.want || m.Computed() != st.computed {
			t.Errorf("step %d: %d after %d computations, want %d after %d", i, got, m.Computed(), st.want, st.computed)
		}
	}
}

// TestCallerGivesUp: a caller whose context ends gets its error at once;
// the computation goes on and the next caller gets its value.
func TestCallerGivesUp(t *testing.T) {
	var m Memo[snap, string, string]
	s := &snap{1}
	release := make(chan struct{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := m.Get(ctx, s, "k", func() (string, error) { <-release; return "page", nil }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the deadline", err)
	}
	close(release)
	if v, err := m.Get(context.Background(), s, "k", func() (string, error) { return "again", nil }); v != "page" || err != nil {
		t.Errorf("Get = %q, %v; want the first computation's page", v, err)
	}
}

// TestPanicIsAnError: a computation that panics fails its callers with
// the panic's value instead of crashing the process.
func TestPanicIsAnError(t *testing.T) {
	var m Memo[snap, string, int]
	_, err := m.Get(context.Background(), &snap{1}, "k", func() (int, error) { panic("boom") })
	if err == nil || err.Error() != "panic: boom" {
		t.Errorf("err = %v, want panic: boom", err)
	}
}

// TestMaxKeys: with MaxKeys 2, a third key is computed for each caller
// and not kept, while the first two stay kept.
func TestMaxKeys(t *testing.T) {
	m := Memo[snap, string, int]{MaxKeys: 2}
	s := &snap{1}
	get := func(key string) {
		if _, err := m.Get(context.Background(), s, key, func() (int, error) { return len(key), nil }); err != nil {
			t.Fatal(err)
		}
	}
	for _, key := range []string{"a", "b", "c", "c", "a", "b", "c"} {
		get(key)
	}
	// a, b and the three computations of c.
	if got := m.Computed(); got != 5 {
		t.Errorf("%d computations, want 5", got)
	}
}
