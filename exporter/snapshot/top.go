package snapshot

import (
	"container/heap"
	"slices"
)

// topItems keeps the first limit items of an order among those it is
// given and counts the rest, so its memory stays bounded by the limit
// however many items a source streams through it.
type topItems[T any] struct {
	limit   int
	first   func(a, b T) bool // whether a comes before b
	kept    []T               // a heap: the last of the kept items on top
	dropped int
}

func newTopItems[T any](limit int, first func(a, b T) bool) *topItems[T] {
	return &topItems[T]{limit: limit, first: first}
}

// keep offers an item.
func (t *topItems[T]) keep(it T) {
	switch {
	case len(t.kept) < t.limit:
		heap.Push(t, it)
		return
	case len(t.kept) > 0 && t.first(it, t.kept[0]):
		t.kept[0] = it
		heap.Fix(t, 0)
	}
	t.dropped++
}

// sorted returns the kept items in order, and how many were left out.
func (t *topItems[T]) sorted() ([]T, int) {
	out := slices.Clone(t.kept)
	slices.SortFunc(out, func(a, b T) int {
		if t.first(a, b) {
			return -1
		}
		return 1
	})
	return out, t.dropped
}

// heap.Interface, for the heap package only.

func (t *topItems[T]) Len() int           { return len(t.kept) }
func (t *topItems[T]) Less(i, j int) bool { return t.first(t.kept[j], t.kept[i]) }
func (t *topItems[T]) Swap(i, j int)      { t.kept[i], t.kept[j] = t.kept[j], t.kept[i] }
func (t *topItems[T]) Push(x any)         { t.kept = append(t.kept, x.(T)) }
func (t *topItems[T]) Pop() any {
	it := t.kept[len(t.kept)-1]
	t.kept = t.kept[:len(t.kept)-1]
	return it
}
