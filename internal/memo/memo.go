// Package memo keeps what is computed from the served snapshot (the
// encoded metrics per format, the report per page) once per snapshot, so
// that concurrent requests share one computation and one copy in memory.
package memo

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"weak"
)

// Memo holds, for the latest snapshot of type S it was asked about, one
// value per key. A request about another snapshot drops the values of the
// previous one. It holds its snapshot weakly: a Memo never keeps an old
// snapshot alive, only the values computed from it until the next
// request. The zero Memo is ready to use.
type Memo[S any, K comparable, V any] struct {
	// MaxKeys bounds the values kept per snapshot (0: no bound): a key
	// asked for once the bound is reached is computed for its caller and
	// not kept, so memory stays bounded whatever keys are asked for.
	MaxKeys  int
	mu       sync.Mutex
	of       weak.Pointer[S]
	values   map[K]*value[V]
	computed atomic.Int64
}

type value[V any] struct {
	ready chan struct{} // closed once v and err are set
	v     V
	err   error
}

// Get returns the value of key for snapshot of, calling compute at most
// once per snapshot and key. The computation runs in its own goroutine and
// the callers asking meanwhile wait for it; a caller whose ctx ends first
// gets ctx's error, and the computation goes on for the others. An error
// (or a panic, turned into an error) is kept like a value: compute depends
// on the snapshot alone.
func (m *Memo[S, K, V]) Get(ctx context.Context, of *S, key K, compute func() (V, error)) (V, error) {
	m.mu.Lock()
	if w := weak.Make(of); w != m.of || m.values == nil {
		m.of, m.values = w, map[K]*value[V]{}
	}
	val, ok := m.values[key]
	if !ok {
		val = &value[V]{ready: make(chan struct{})}
		if m.MaxKeys <= 0 || len(m.values) < m.MaxKeys {
			m.values[key] = val
		}
		m.computed.Add(1)
		go func() {
			defer close(val.ready)
			defer func() {
				if p := recover(); p != nil {
					val.err = fmt.Errorf("panic: %v", p)
				}
			}()
			val.v, val.err = compute()
		}()
	}
	m.mu.Unlock()
	select {
	case <-val.ready:
		return val.v, val.err
	case <-ctx.Done():
		var zero V
		return zero, ctx.Err()
	}
}

// Computed counts the computations started since the Memo was made.
func (m *Memo[S, K, V]) Computed() int64 { return m.computed.Load() }
