package apiclient

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const token = "s3cr3t-token-value"

// fake answers each request with the next of its answers (the last one
// repeated), and keeps what it was sent.
type fake struct {
	mu      sync.Mutex
	answers []func(w http.ResponseWriter, r *http.Request)
	calls   int
	auth    []string
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	i := min(f.calls, len(f.answers)-1)
	f.calls++
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	answer := f.answers[i]
	f.mu.Unlock()
	answer(w, r)
}

// count is how many requests the fake was sent; the handler of a request
// the client gave up on may still be counting it.
func (f *fake) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func status(code int, header ...string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
		_, _ = w.Write([]byte(`{"error":"Authorization: Bearer ` + token + `"}`))
	}
}

func body(s string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(s)) }
}

func newClient(t *testing.T, f *fake, cfg Config) (*Client, *[]string) {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	var outcomes []string
	var mu sync.Mutex
	cfg.BaseURL = srv.URL + "/api/"
	cfg.Auth = func(h http.Header) { h.Set("Authorization", "Bearer "+token) }
	cfg.MinWait = time.Millisecond
	cfg.Observe = func(o string) { mu.Lock(); outcomes = append(outcomes, o); mu.Unlock() }
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, &outcomes
}

func TestRetriesWhatCanSucceed(t *testing.T) {
	for _, tc := range []struct {
		name  string
		first func(http.ResponseWriter, *http.Request)
		want  string
	}{
		{"429 with Retry-After", status(429, "Retry-After", "1"), OutcomeRateLimited},
		{"403 with no request remaining", status(403, "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "0"), OutcomeRateLimited},
		{"503", status(503), OutcomeServerError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fake{answers: []func(http.ResponseWriter, *http.Request){tc.first, body(`{"n":7}`)}}
			c, outcomes := newClient(t, f, Config{})
			var out struct{ N int }
			start := time.Now()
			if _, err := c.JSON(context.Background(), Request{Path: "issues"}, &out); err != nil {
				t.Fatal(err)
			}
			if out.N != 7 || f.count() != 2 {
				t.Fatalf("got n=%d after %d calls, want 7 after 2", out.N, f.count())
			}
			if strings.Join(*outcomes, ",") != tc.want+","+OutcomeOK {
				t.Errorf("outcomes %v, want %s then ok", *outcomes, tc.want)
			}
			// Retry-After: 1 is honoured (a second), not the 1 ms backoff.
			if tc.name == "429 with Retry-After" && time.Since(start) < time.Second {
				t.Errorf("retried after %s, before the second Retry-After asked for", time.Since(start))
			}
		})
	}
}

func TestRefusalsAreNotRetriedAndShowNoToken(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer func(http.ResponseWriter, *http.Request)
		cfg    Config
		calls  int
		want   string
	}{
		{"revoked token", status(401), Config{}, 1, "401 Unauthorized"},
		{"forbidden without a rate limit", status(403), Config{}, 1, "403 Forbidden"},
		{"not found", status(404), Config{}, 1, "404 Not Found"},
		{"wait beyond MaxWait", status(429, "Retry-After", "3600"), Config{MaxWait: time.Second}, 1, "retry after 1h0m0s"},
		{"retries spent", status(502), Config{Retries: 2}, 3, "502 Bad Gateway"},
		{"malformed JSON", body(`{"n":`), Config{}, 1, "malformed JSON answer"},
		{"body over the bound", body(`{"n":"` + strings.Repeat("x", 2000) + `"}`), Config{MaxBody: 1000}, 1, "larger than 1000 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fake{answers: []func(http.ResponseWriter, *http.Request){tc.answer}}
			c, _ := newClient(t, f, tc.cfg)
			_, err := c.JSON(context.Background(), Request{Path: "/issues", Query: map[string][]string{"jql": {"key in (A-1)"}}}, &struct{ N int }{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to say %q", err, tc.want)
			}
			if f.count() != tc.calls {
				t.Errorf("%d calls, want %d", f.count(), tc.calls)
			}
			if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), "jql") {
				t.Errorf("error shows the token or the query: %v", err)
			}
			if se := (*StatusError)(nil); errors.As(err, &se) && strings.Contains(string(se.Body), token) {
				t.Errorf("the refusal's body kept for the caller shows the token: %s", se.Body)
			}
			if f.auth[0] != "Bearer "+token {
				t.Errorf("sent Authorization %q", f.auth[0])
			}
		})
	}
}

// TestAuthSecretsNeverShown: an API that quotes the secret of its
// Authorization in its refusal does not get it into the error: the
// password of a Basic one (Jira Cloud's API token), the key of
// PagerDuty's "Token token=KEY".
func TestAuthSecretsNeverShown(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"errorMessages": ["token ` + token + ` revoked"]}`))
	}))
	defer srv.Close()
	for name, value := range map[string]string{
		"basic":     "Basic " + base64.StdEncoding.EncodeToString([]byte("bot@acme.com:"+token)),
		"key=value": "Token token=" + token,
	} {
		c, err := New(Config{BaseURL: srv.URL, Auth: func(h http.Header) { h.Set("Authorization", value) }})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.JSON(context.Background(), Request{Path: "rest/api/3/search/jql"}, nil)
		if err == nil || strings.Contains(err.Error(), token) || !strings.Contains(err.Error(), "401") {
			t.Errorf("%s: error %v: want a 401 that does not show the token", name, err)
		}
	}
}

func TestTimeoutEndsTheAttempt(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	f := &fake{answers: []func(http.ResponseWriter, *http.Request){func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}}}
	c, outcomes := newClient(t, f, Config{Timeout: 50 * time.Millisecond, Retries: 1})
	start := time.Now()
	_, err := c.JSON(context.Background(), Request{Path: "slow"}, nil)
	if err == nil {
		t.Fatal("a server that never answers gave no error")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
	if f.count() != 2 || (*outcomes)[0] != OutcomeTimeout {
		t.Errorf("%d calls, outcomes %v: want the timeout tried again once", f.count(), *outcomes)
	}
}

func TestConcurrencyIsBounded(t *testing.T) {
	var now, most atomic.Int32
	f := &fake{answers: []func(http.ResponseWriter, *http.Request){func(w http.ResponseWriter, _ *http.Request) {
		n := now.Add(1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		now.Add(-1)
		_, _ = w.Write([]byte(`{}`))
	}}}
	c, _ := newClient(t, f, Config{Concurrency: 3})
	var wg sync.WaitGroup
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.JSON(context.Background(), Request{Path: "x"}, nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if most.Load() != 3 {
		t.Errorf("at most %d requests in flight, want 3", most.Load())
	}
}

func TestAddressesStayOnTheAPIHost(t *testing.T) {
	f := &fake{answers: []func(http.ResponseWriter, *http.Request){body(`{}`)}}
	c, _ := newClient(t, f, Config{})
	if _, err := c.JSON(context.Background(), Request{Path: "https://evil.example/api/x"}, nil); err == nil {
		t.Error("an absolute address on another host was requested")
	}
	if f.count() != 0 {
		t.Errorf("%d calls", f.count())
	}
	if _, err := New(Config{BaseURL: "https://user:" + token + "@jira.example"}); err == nil || strings.Contains(err.Error(), token) {
		t.Errorf("base URL with credentials: %v", err)
	}
}

// TestEscapedPathIsSentAsWritten: an escaped slash in a path (GitLab's
// URL-encoded project path, group%2Fproject) reaches the API escaped, not
// turned into a slash that names another resource.
func TestEscapedPathIsSentAsWritten(t *testing.T) {
	var sent string
	f := &fake{answers: []func(http.ResponseWriter, *http.Request){func(w http.ResponseWriter, r *http.Request) {
		sent = r.URL.EscapedPath()
		_, _ = w.Write([]byte(`{}`))
	}}}
	c, _ := newClient(t, f, Config{})
	if _, err := c.JSON(context.Background(), Request{Path: "projects/group%2Fsub%2Fproject/issues"}, nil); err != nil {
		t.Fatal(err)
	}
	if want := "/api/projects/group%2Fsub%2Fproject/issues"; sent != want {
		t.Errorf("sent path %s, want %s", sent, want)
	}
}

// TestRateLimitInTheBody: a GraphQL API reports its rate limit in an
// answer's body (Linear: 400 or 200 with the error code RATELIMITED); it
// is waited for and tried again, and when it lasts it is an error that
// says so, not an answer taken.
func TestRateLimitInTheBody(t *testing.T) {
	limited := func(code int) func(http.ResponseWriter, *http.Request) {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(code)
			_, _ = w.Write([]byte(`{"errors":[{"message":"Rate limit exceeded","extensions":{"code":"RATELIMITED"}}]}`))
		}
	}
	isLimited := func(body []byte) bool { return strings.Contains(string(body), `"RATELIMITED"`) }
	for _, code := range []int{http.StatusOK, http.StatusBadRequest} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			f := &fake{answers: []func(http.ResponseWriter, *http.Request){limited(code), body(`{"n":7}`)}}
			c, outcomes := newClient(t, f, Config{RateLimitedBody: isLimited})
			var out struct{ N int }
			if _, err := c.JSON(context.Background(), Request{Method: http.MethodPost, Path: "graphql", Body: map[string]string{"query": "{x}"}}, &out); err != nil {
				t.Fatal(err)
			}
			if out.N != 7 || f.calls != 2 || strings.Join(*outcomes, ",") != OutcomeRateLimited+","+OutcomeOK {
				t.Errorf("n=%d after %d calls, outcomes %v: want 7 after a rate limit and a retry", out.N, f.calls, *outcomes)
			}

			f = &fake{answers: []func(http.ResponseWriter, *http.Request){limited(code)}}
			c, _ = newClient(t, f, Config{RateLimitedBody: isLimited, Retries: 2})
			_, err := c.JSON(context.Background(), Request{Path: "graphql"}, &out)
			var se *StatusError
			if !errors.As(err, &se) || !se.RateLimited || !strings.Contains(err.Error(), "rate limited") {
				t.Errorf("error %v, want a StatusError saying rate limited", err)
			}
			if f.calls != 3 {
				t.Errorf("%d calls, want 3 (the retries spent)", f.calls)
			}
		})
	}
}
