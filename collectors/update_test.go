package collectors

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// labelMismatch sends one good sample, then one with a label missing,
// which makes client_golang panic.
type labelMismatch struct{}

func (labelMismatch) Update(_ *snapshot.Snapshot, ch chan<- prometheus.Metric) error {
	gauge(ch, overdueDesc, 1, "payments")
	gauge(ch, overdueDesc, 1)
	return nil
}

// TestUpdateTurnsAPanicIntoAFailure: a collector that panics fails like
// one that returns an error, instead of taking the exporter down.
func TestUpdateTurnsAPanicIntoAFailure(t *testing.T) {
	out := update(labelMismatch{}, &snapshot.Snapshot{})
	if out.err == nil || !strings.Contains(out.err.Error(), "panic") {
		t.Fatalf("err = %v, want the panic", out.err)
	}
	if len(out.metrics) != 0 {
		t.Fatalf("got %d samples, want none: the one sent before the panic is dropped", len(out.metrics))
	}
}
