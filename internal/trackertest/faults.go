// Package trackertest is what the tests of the tracker clients
// (exporter/trackers/<vendor>) share: the faults every vendor's fake API
// plays, and the comparison of the tickets a client read with those
// worked out by hand.
package trackertest

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/internal/apiclient"
)

// Fault is a way an API misbehaves, and what a connector must make of it.
type Fault struct {
	Name string
	// Answer answers the n-th request (from 1) instead of the fake, or
	// returns false to let the fake answer.
	Answer func(w http.ResponseWriter, r *http.Request, n int) bool
	// API is the client setting the fault is met with.
	API apiclient.Config
	// WantErr is in the whole read's error; empty when the read succeeds.
	WantErr string
	// MinWait is how long the read must have waited before answering.
	MinWait time.Duration
}

// Faults are the faults every connector meets: retried ones it recovers
// from (429 with Retry-After, 503), and ones that fail the whole read (a
// lasting 500, a timeout, malformed JSON, a 50 MB body, a revoked token),
// where unauthorized is the body the vendor answers a 401 with.
func Faults(unauthorized []byte) []Fault {
	return []Fault{
		{Name: "429 with Retry-After, then answered", MinWait: time.Second, Answer: first(func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		})},
		{Name: "503, then answered", Answer: first(func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusServiceUnavailable)
		})},
		{Name: "500 every time", API: apiclient.Config{Retries: 2}, WantErr: "500 Internal Server Error",
			Answer: always(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) })},
		{Name: "timeout", API: apiclient.Config{Retries: -1, Timeout: 100 * time.Millisecond}, WantErr: "Client.Timeout",
			Answer: always(func(_ http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-time.After(2 * time.Second):
				}
			})},
		{Name: "malformed JSON", WantErr: "malformed JSON",
			Answer: always(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"data": {"t0": [`)) })},
		{Name: "50 MB body", WantErr: "larger than", Answer: always(func(w http.ResponseWriter, _ *http.Request) {
			chunk := []byte(strings.Repeat(" ", 1<<20))
			for range 50 {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		})},
		{Name: "revoked token (401)", WantErr: "401 Unauthorized", Answer: always(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write(unauthorized)
		})},
	}
}

// first answers the first request with answer and lets the fake answer
// the others.
func first(answer func(w http.ResponseWriter)) func(http.ResponseWriter, *http.Request, int) bool {
	return func(w http.ResponseWriter, _ *http.Request, n int) bool {
		if n == 1 {
			answer(w)
		}
		return n == 1
	}
}

// always answers every request with answer.
func always(answer func(w http.ResponseWriter, r *http.Request)) func(http.ResponseWriter, *http.Request, int) bool {
	return func(w http.ResponseWriter, r *http.Request, _ int) bool {
		answer(w, r)
		return true
	}
}

// Check fails t when err, the error of a read started at start, is not
// what the fault must give, or shows token. It tells whether the read
// was to succeed, so that the caller checks what it read.
func (f Fault) Check(t testing.TB, start time.Time, err error, token string) bool {
	t.Helper()
	if waited := time.Since(start); waited < f.MinWait {
		t.Errorf("answered after %s, want at least %s", waited, f.MinWait)
	}
	if f.WantErr == "" {
		if err != nil {
			t.Errorf("read failed: %v", err)
		}
		return err == nil
	}
	if err == nil || !strings.Contains(err.Error(), f.WantErr) {
		t.Errorf("error %v, want one with %q", err, f.WantErr)
	} else if strings.Contains(err.Error(), token) {
		t.Errorf("error %q shows the token", err)
	}
	return false
}
