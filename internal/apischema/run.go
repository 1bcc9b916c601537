package apischema

import (
	"reflect"
	"testing"
	"time"
)

// RunFaults runs each fault as a subtest. read reads through a fake that
// plays the fault (its Answer), with a client set with the fault's API,
// and returns what it read; ok checks what a read that was to succeed
// returned. A read that fails must return nothing with its error.
func RunFaults[T any](t *testing.T, faults []Fault, token string, read func(t *testing.T, f Fault) (T, error), ok func(t *testing.T, got T)) {
	for _, fault := range faults {
		t.Run(fault.Name, func(t *testing.T) {
			start := time.Now()
			got, err := read(t, fault)
			if fault.Check(t, start, err, token) {
				ok(t, got)
			} else if err != nil && !reflect.ValueOf(&got).Elem().IsZero() {
				t.Errorf("%v returned with the error", got)
			}
		})
	}
}
