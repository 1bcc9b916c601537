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
	metrics, err := update(labelMismatch{}, &snapshot.Snapshot{})
	if err == nil || !strings.Contains(err.Error(), "panic") {
		t.Fatalf("err = %v, want the panic", err)
	}
	if len(metrics) != 1 {
		t.Fatalf("got %d samples before the panic, want 1 (which Collect then drops)", len(metrics))
	}
}
