// Package apiclient is the one HTTP loop of every connector to a
// third-party API (the trackers' and the pull sources'): a timeout on
// every attempt, a bounded response body, a bounded number of requests in
// flight, and retries with backoff on rate limits (429, or 403 with
// Retry-After or X-RateLimit-Remaining: 0, or a body that says so, as
// GraphQL APIs answer), server errors and timeouts,
// honouring Retry-After. Its errors name the method, the address without
// its query or credentials and the status, never a header: the token a
// connector sets in Config.Auth cannot reach a log.
package apiclient

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/postmortem-exporter/postmortem-exporter/internal/redact"
)

// Defaults of Config.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultMaxBody     = 16 << 20
	DefaultConcurrency = 4
	DefaultRetries     = 4
	DefaultMaxWait     = 2 * time.Minute
)

// Outcomes of a request, as Config.Observe is told them (and the label
// values of the connectors' request counters).
const (
	OutcomeOK          = "ok"
	OutcomeNotModified = "not_modified"
	OutcomeClientError = "client_error"
	OutcomeRateLimited = "rate_limited"
	OutcomeServerError = "server_error"
	OutcomeTimeout     = "timeout"
	OutcomeMalformed   = "malformed"
	OutcomeTooLarge    = "too_large"
)

// Outcomes are the outcomes of a request, in order.
var Outcomes = []string{OutcomeOK, OutcomeNotModified, OutcomeClientError, OutcomeRateLimited,
	OutcomeServerError, OutcomeTimeout, OutcomeMalformed, OutcomeTooLarge}

// Config is one API's client settings; zero values take the defaults.
type Config struct {
	// BaseURL is the API's root; a Request's Path is resolved against it.
	BaseURL string
	// Auth sets the request's credentials (an Authorization header, say).
	// Nothing it sets is ever shown.
	Auth func(http.Header)
	// Timeout bounds each attempt, body included.
	Timeout time.Duration
	// MaxBody bounds a response body, in bytes.
	MaxBody int64
	// Concurrency bounds the requests in flight through this client.
	Concurrency int
	// Retries is how many times a request is tried again.
	Retries int
	// MaxWait is the longest wait honoured before trying again; a
	// Retry-After beyond it fails the request at once.
	MaxWait time.Duration
	// MinWait is the first backoff when the API gives no Retry-After
	// (default one second); tests make it short.
	MinWait time.Duration
	// Transport carries the requests (default: a clean pooled transport).
	Transport http.RoundTripper
	// Observe, when set, is told the outcome of every attempt.
	Observe func(outcome string)
	// RateLimitedBody, when set, tells an answer whose body reports a
	// rate limit (GraphQL APIs answer 200 or 400 with an error code, not
	// 429): it is waited for and tried again as a 429 is, and once the
	// retries are spent it is a StatusError with RateLimited set.
	RateLimitedBody func(body []byte) bool
}

// Client calls one API.
type Client struct {
	base     *url.URL
	cfg      Config
	http     *retryablehttp.Client
	inFlight chan struct{}
	secrets  *strings.Replacer // masks what Auth sets, should an answer quote it
}

// New returns a client for the API at cfg.BaseURL.
func New(cfg Config) (*Client, error) {
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("base URL %q: not an absolute http(s) address", redact.WithoutCredentials(cfg.BaseURL))
	}
	if base.User != nil {
		return nil, fmt.Errorf("base URL %s: credentials belong in the token setting, not in the address", redact.WithoutCredentials(cfg.BaseURL))
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.Retries < 0 {
		cfg.Retries = 0
	} else if cfg.Retries == 0 {
		cfg.Retries = DefaultRetries
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = DefaultMaxWait
	}
	if cfg.MinWait <= 0 {
		cfg.MinWait = time.Second
	}
	c := &Client{base: base, cfg: cfg, inFlight: make(chan struct{}, cfg.Concurrency), secrets: secretsOf(cfg.Auth)}
	rc := retryablehttp.NewClient()
	rc.Logger = nil // it would log addresses with their query
	rc.RetryMax = cfg.Retries
	rc.RetryWaitMin = cfg.MinWait
	rc.RetryWaitMax = cfg.MaxWait
	rc.CheckRetry = c.checkRetry
	rc.Backoff = backoff
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	rc.HTTPClient = &http.Client{Timeout: cfg.Timeout, CheckRedirect: sameHostRedirect}
	if cfg.Transport != nil {
		rc.HTTPClient.Transport = cfg.Transport
	}
	c.http = rc
	return c, nil
}

// sameHostRedirect follows a redirect only to the same host, so the
// credentials never go to another one, and at most five times.
func sameHostRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return errors.New("more than 5 redirects")
	}
	if req.URL.Host != via[0].URL.Host {
		return fmt.Errorf("redirect to another host (%s) refused", req.URL.Host)
	}
	return nil
}

// Request is one call: Path is resolved against the base URL (an
// absolute address of the same host is taken as it is, for the next-page
// links APIs give), Body, when not nil, is sent as JSON.
type Request struct {
	Method string // GET when empty
	Path   string
	Query  url.Values
	Header http.Header // extra headers (If-None-Match, Accept, API versions)
	Body   any
}

// Response is what the API answered besides the decoded body.
type Response struct {
	Status int
	Header http.Header
}

// StatusError is an answer the client did not take: a status outside
// 2xx and 304 once the retries are spent.
type StatusError struct {
	Method string
	URL    string // without query or credentials
	Status int
	// Message is the start of the body (at most 200 bytes), for the log.
	Message string
	// Body is the whole body, bounded by Config.MaxBody and with what
	// Config.Auth sets masked, for APIs that explain a refusal in it
	// (GraphQL's errors); Error never shows it.
	Body []byte
	// RetryAfter is the wait the API asked for, when it asked for one
	// beyond Config.MaxWait or the retries were spent.
	RetryAfter time.Duration
	// RateLimited tells that the API still limited the rate when the
	// client gave up.
	RateLimited bool
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("%s %s: %d %s", e.Method, e.URL, e.Status, http.StatusText(e.Status))
	if e.RateLimited {
		s += " (rate limited)"
	}
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter.Round(time.Second))
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// StatusOf returns the HTTP status of err when it is a StatusError, 0
// otherwise.
func StatusOf(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status
	}
	return 0
}

// JSON sends req and decodes a 2xx answer's JSON body into out (when out
// is not nil). A 304 answer returns its Response and leaves out as it is.
func (c *Client) JSON(ctx context.Context, req Request, out any) (*Response, error) {
	data, got, shown, err := c.send(ctx, req)
	if err != nil || got.Status == http.StatusNotModified {
		return got, err
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			c.observe(OutcomeMalformed)
			return got, fmt.Errorf("%s: malformed JSON answer: %w", shown, err)
		}
	}
	c.observe(OutcomeOK)
	return got, nil
}

// Body sends req and returns a 2xx answer's body as it is (an exported
// document); set an Accept header in req.Header.
func (c *Client) Body(ctx context.Context, req Request) ([]byte, *Response, error) {
	data, got, _, err := c.send(ctx, req)
	if err != nil {
		return nil, got, err
	}
	if got.Status != http.StatusNotModified {
		c.observe(OutcomeOK)
	}
	return data, got, nil
}

// send sends req and reads the answer's body, bounded; it returns
// "METHOD address" for messages.
func (c *Client) send(ctx context.Context, req Request) ([]byte, *Response, string, error) {
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	target, err := c.resolve(req.Path)
	if err != nil {
		return nil, nil, "", err
	}
	if len(req.Query) > 0 {
		q := target.Query()
		for k, vs := range req.Query {
			q[k] = vs
		}
		target.RawQuery = q.Encode()
	}
	shown := redact.WithoutCredentials(target.String())
	var body io.Reader
	if req.Body != nil {
		b, err := json.Marshal(req.Body)
		if err != nil {
			return nil, nil, "", fmt.Errorf("%s %s: encode request: %w", method, shown, err)
		}
		body = bytes.NewReader(b)
	}
	hr, err := retryablehttp.NewRequestWithContext(ctx, method, target.String(), body)
	if err != nil {
		return nil, nil, "", fmt.Errorf("%s %s: %w", method, shown, err)
	}
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set("User-Agent", "postmortem-exporter")
	if req.Body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range req.Header {
		hr.Header[k] = vs
	}
	if c.cfg.Auth != nil {
		c.cfg.Auth(hr.Header)
	}

	select {
	case c.inFlight <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, "", fmt.Errorf("%s %s: %w", method, shown, ctx.Err())
	}
	defer func() { <-c.inFlight }()

	resp, err := c.http.Do(hr)
	if err != nil {
		return nil, nil, "", fmt.Errorf("%s %s: %s", method, shown, redact.Credentials(withoutURL(err).Error()))
	}
	defer resp.Body.Close()
	got := &Response{Status: resp.StatusCode, Header: resp.Header}
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxBody+1))
	if err != nil {
		c.observe(OutcomeTimeout)
		return nil, got, "", fmt.Errorf("%s %s: read body: %s", method, shown, withoutURL(err))
	}
	if int64(len(data)) > c.cfg.MaxBody {
		c.observe(OutcomeTooLarge)
		return nil, got, "", fmt.Errorf("%s %s: response body larger than %d bytes", method, shown, c.cfg.MaxBody)
	}
	switch {
	case resp.StatusCode == http.StatusNotModified:
		c.observe(OutcomeNotModified)
		return nil, got, method + " " + shown, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299 || c.limitedByBody(resp.StatusCode, data):
		masked := c.secrets.Replace(string(data))
		return nil, got, method + " " + shown, &StatusError{Method: method, URL: shown, Status: resp.StatusCode,
			Message: snippet(masked), Body: []byte(masked), RetryAfter: retryAfter(resp),
			RateLimited: rateLimited(resp) || c.limitedByBody(resp.StatusCode, data)}
	}
	return data, got, method + " " + shown, nil
}

// resolve returns the address of path: relative to the base URL, or an
// absolute address of the base URL's host.
func (c *Client) resolve(path string) (*url.URL, error) {
	ref, err := url.Parse(path)
	if err != nil {
		return nil, fmt.Errorf("request path %q: %w", redact.WithoutCredentials(path), err)
	}
	if ref.IsAbs() {
		if ref.Host != c.base.Host || ref.Scheme != c.base.Scheme {
			return nil, fmt.Errorf("address %s is not on %s", redact.WithoutCredentials(path), c.base.Host)
		}
		return ref, nil
	}
	base := *c.base
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	// Resolved from the escaped form, so that an escaped slash (GitLab's
	// group%2Fproject) stays one.
	rel, err := url.Parse(strings.TrimPrefix(ref.EscapedPath(), "/"))
	if err != nil {
		return nil, fmt.Errorf("request path %q: %w", redact.WithoutCredentials(path), err)
	}
	rel.RawQuery = ref.RawQuery
	return base.ResolveReference(rel), nil
}

// checkRetry decides whether an attempt is tried again, and tells
// Observe its outcome.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		c.observe(OutcomeTimeout)
		return true, nil
	}
	switch {
	case rateLimited(resp) || c.limitedByBody(resp.StatusCode, c.peek(resp)):
		c.observe(OutcomeRateLimited)
		if wait := retryAfter(resp); wait > c.cfg.MaxWait {
			return false, nil // the answer is returned as a StatusError naming the wait
		}
		return true, nil
	case resp.StatusCode >= 500:
		c.observe(OutcomeServerError)
		return resp.StatusCode != http.StatusNotImplemented, nil
	case resp.StatusCode >= 400:
		c.observe(OutcomeClientError)
	}
	return false, nil
}

// limitedByBody tells whether a 2xx or 4xx answer's body reports a rate
// limit, through Config.RateLimitedBody.
func (c *Client) limitedByBody(status int, body []byte) bool {
	return c.cfg.RateLimitedBody != nil && status >= 200 && status < 500 && status != http.StatusNotModified &&
		c.cfg.RateLimitedBody(body)
}

// peek reads the body of resp for limitedByBody, bounded by MaxBody, and
// puts it back for the caller; nothing when no RateLimitedBody is set.
func (c *Client) peek(resp *http.Response) []byte {
	if c.cfg.RateLimitedBody == nil || resp.StatusCode >= 500 {
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxBody+1))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(data), &failedRead{err}), resp.Body}
	return data
}

// failedRead gives the error a read met, after what was read before it.
type failedRead struct{ err error }

func (f *failedRead) Read([]byte) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	return 0, io.EOF
}

func (c *Client) observe(outcome string) {
	if c.cfg.Observe != nil {
		c.cfg.Observe(outcome)
	}
}

// rateLimited tells a rate limit apart from a refusal: 429, or 403 with
// Retry-After or no requests remaining (GitHub's secondary and primary
// limits).
func rateLimited(resp *http.Response) bool {
	if resp.StatusCode == http.StatusTooManyRequests {
		return true
	}
	return resp.StatusCode == http.StatusForbidden &&
		(resp.Header.Get("Retry-After") != "" || resp.Header.Get("X-RateLimit-Remaining") == "0")
}

// retryAfter is the wait the API asked for: Retry-After in seconds or as
// an HTTP date, else X-RateLimit-Reset (Unix seconds) when no request
// remains; 0 when it asked for none.
func retryAfter(resp *http.Response) time.Duration {
	if v := resp.Header.Get("Retry-After"); v != "" {
		if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
			return time.Duration(s) * time.Second
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(time.Until(t), 0)
		}
	}
	if resp.Header.Get("X-RateLimit-Remaining") == "0" {
		if s, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			return max(time.Until(time.Unix(s, 0)), 0)
		}
	}
	return 0
}

// backoff waits what the API asked for, else doubles from min up to max.
func backoff(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if wait := retryAfter(resp); wait > 0 {
			return min(wait, maxWait)
		}
	}
	wait := time.Duration(float64(minWait) * math.Pow(2, float64(attempt)))
	if wait <= 0 || wait > maxWait {
		return maxWait
	}
	return wait
}

// withoutURL returns the cause of a url.Error, whose message quotes the
// address with its query.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// secretsOf returns a replacer that masks every value auth sets, each
// word of it (the token after "Bearer "), and the password a Basic
// value encodes (Jira Cloud's API token).
func secretsOf(auth func(http.Header)) *strings.Replacer {
	if auth == nil {
		return strings.NewReplacer()
	}
	h := http.Header{}
	auth(h)
	var pairs []string
	for _, vs := range h {
		for _, v := range vs {
			pairs = append(pairs, v, redact.Mask)
			for _, word := range strings.Fields(v) {
				if len(word) >= 8 {
					pairs = append(pairs, word, redact.Mask)
				}
				// PagerDuty's "Token token=KEY": the key alone too.
				if _, key, ok := strings.Cut(word, "="); ok && len(key) >= 8 {
					pairs = append(pairs, key, redact.Mask)
				}
			}
			if encoded, ok := strings.CutPrefix(v, "Basic "); ok {
				if plain, err := base64.StdEncoding.DecodeString(encoded); err == nil {
					if _, password, ok := strings.Cut(string(plain), ":"); ok && password != "" {
						pairs = append(pairs, password, redact.Mask)
					}
				}
			}
		}
	}
	return strings.NewReplacer(pairs...)
}

// snippet is the start of a body for an error message, on one line.
func snippet(data string) string {
	s := strings.Join(strings.Fields(data), " ")
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "…"
	}
	return redact.Credentials(s)
}
