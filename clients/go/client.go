package idenfymock

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client drives a running idenfy-mock: its control API under /_mock/ and the
// two iDenfy calls a test needs (token, add-dummy-status). A Mock embeds
// one; NewClient makes one for a mock that runs elsewhere (a container, a
// CI service). Every failed call returns an *Error with the mock's own
// message. A Client is safe for concurrent use once its fields are set.
type Client struct {
	// URL is the base URL of both the iDenfy API and the control API, e.g.
	// http://127.0.0.1:8080 (no trailing slash).
	URL string
	// APIKey, APISecret and SigningKey are the default partner's credentials.
	APIKey     string
	APISecret  string
	SigningKey string
	// AdminToken is sent as a Bearer token when set (control.admin_token).
	AdminToken string
	// Timeout bounds each call; a wait gets its own timeout on top. Default 30 s.
	Timeout time.Duration
	// HTTPClient makes the calls; nil = one that ignores proxy settings.
	HTTPClient *http.Client
}

// NewClient returns a client of the mock at baseURL with the default
// partner's credentials (change the fields for others).
func NewClient(baseURL string) *Client {
	return &Client{
		URL:        strings.TrimRight(baseURL, "/"),
		APIKey:     DefaultAPIKey,
		APISecret:  DefaultAPISecret,
		SigningKey: DefaultSigningKey,
	}
}

var loopbackHTTP = &http.Client{Transport: &http.Transport{
	Proxy:               nil, // the mock is local: never through HTTP_PROXY
	MaxIdleConnsPerHost: 16,
	IdleConnTimeout:     30 * time.Second,
}}

// Error is a failed call: the mock's answer (Status and its own Message)
// or, with Status 0, why it could not be reached (Err).
type Error struct {
	Method string
	Path   string
	// Status is the HTTP status; 0 when there was no answer.
	Status int
	// Message is the mock's own error message ("message" of its error body).
	Message string
	// Body is the whole answer.
	Body string
	// Err is the transport error when there was no answer.
	Err error
}

func (e *Error) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("idenfy-mock: %s %s: %v", e.Method, e.Path, e.Err)
	}
	msg := e.Message
	if msg == "" {
		msg = strings.TrimSpace(e.Body)
		if len(msg) > 500 {
			msg = msg[:500] + "…"
		}
	}
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("idenfy-mock: %s %s: %d: %s", e.Method, e.Path, e.Status, msg)
}

func (e *Error) Unwrap() error { return e.Err }

// WebhookTimeoutError is returned when a wait for a webhook runs out. Its
// message names the scanRef and the webhooks the journal held for it.
type WebhookTimeoutError struct {
	Filter  Filter
	Timeout time.Duration
	// Message is the mock's own answer to the last long-poll.
	Message string
	// Seen are the scanRef's webhooks (any event, any state) when the wait gave up.
	Seen []Webhook
	// SeenErr is set when they could not be listed.
	SeenErr error
}

func (e *WebhookTimeoutError) Error() string {
	var b strings.Builder
	b.WriteString("idenfy-mock: no webhook")
	if e.Filter.ScanRef != "" {
		fmt.Fprintf(&b, " for scanRef %q", e.Filter.ScanRef)
	}
	var cond []string
	if e.Filter.Event != "" {
		cond = append(cond, "event "+e.Filter.Event)
	}
	if e.Filter.State != "" {
		cond = append(cond, "state "+e.Filter.State)
	} else {
		cond = append(cond, "settled")
	}
	fmt.Fprintf(&b, " (%s) within %v", strings.Join(cond, ", "), e.Timeout)
	if e.Message != "" {
		fmt.Fprintf(&b, " (the mock: %q)", e.Message)
	}
	switch {
	case e.SeenErr != nil:
		fmt.Fprintf(&b, "; could not list what was seen: %v", e.SeenErr)
	case len(e.Seen) == 0 && e.Filter.ScanRef != "":
		b.WriteString("; seen for this scanRef: none")
	case len(e.Seen) == 0:
		b.WriteString("; seen: none")
	default:
		b.WriteString("; seen: ")
		for i, w := range e.Seen {
			if i == maxSeen {
				fmt.Fprintf(&b, ", … and %d more", len(e.Seen)-maxSeen)
				break
			}
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(describe(w))
		}
	}
	return b.String()
}

// maxSeen bounds how many seen webhooks a timeout's message lists.
const maxSeen = 10

func describe(w Webhook) string {
	s := fmt.Sprintf("#%d %s %s", w.ID, w.Event, w.State)
	if len(w.Attempts) > 0 {
		last := w.Attempts[len(w.Attempts)-1]
		s += fmt.Sprintf(" (%d attempt(s)", len(w.Attempts))
		switch {
		case last.Error != nil:
			s += ", last: " + *last.Error
		case last.Status != nil:
			s += fmt.Sprintf(", last: HTTP %d", *last.Status)
		}
		s += ")"
	}
	return s
}

func (c *Client) httpClient() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return loopbackHTTP
}

func (c *Client) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return 30 * time.Second
}

type call struct {
	method string
	path   string
	query  url.Values
	body   any // marshalled to JSON; nil = no body
	basic  bool
	extra  time.Duration
}

// do runs one call and decodes a 2xx JSON answer into out (when non-nil).
// It returns the raw answer too.
func (c *Client) do(k call, out any) ([]byte, error) {
	target := c.URL + k.path
	if len(k.query) > 0 {
		target += "?" + k.query.Encode()
	}
	fail := func(err error) error { return &Error{Method: k.method, Path: k.path, Err: err} }
	var body io.Reader
	if k.body != nil {
		raw, err := json.Marshal(k.body)
		if err != nil {
			return nil, fail(err)
		}
		body = bytes.NewReader(raw)
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout()+k.extra)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, k.method, target, body)
	if err != nil {
		return nil, fail(err)
	}
	req.Header.Set("Accept", "application/json")
	if k.body != nil {
		req.Header.Set("Content-Type", "application/json")
	} else if k.method != http.MethodGet {
		req.Header.Set("X-Idenfy-Mock", "1")
	}
	if k.basic {
		req.SetBasicAuth(c.APIKey, c.APISecret)
	} else if c.AdminToken != "" {
		req.Header.Set("Authorization", "Bearer "+c.AdminToken)
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, fail(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fail(err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &Error{Method: k.method, Path: k.path, Status: resp.StatusCode, Body: string(raw)}
		var env struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(raw, &env) == nil {
			e.Message = env.Message
		}
		return raw, e
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return raw, &Error{Method: k.method, Path: k.path, Status: resp.StatusCode, Body: string(raw),
				Err: err, Message: "cannot decode the answer: " + err.Error()}
		}
	}
	return raw, nil
}

func seg(s string) string { return url.PathEscape(s) }

// Health answers GET /_mock/health.
func (c *Client) Health() (Health, error) {
	var h Health
	_, err := c.do(call{method: http.MethodGet, path: "/_mock/health"}, &h)
	return h, err
}

// CreateToken creates a token as the default partner (POST /api/v2/token);
// clientId defaults to "test-client". Add "dummyStatus" for a dummy result.
func (c *Client) CreateToken(request map[string]any) (Token, error) {
	body := map[string]any{"clientId": "test-client"}
	for k, v := range request {
		body[k] = v
	}
	var t Token
	raw, err := c.do(call{method: http.MethodPost, path: "/api/v2/token", body: body, basic: true}, &t)
	t.Body = string(raw)
	return t, err
}

// AddDummyStatus sends the manual result of a verification, as iDenfy's DEV
// environment lets you (POST /api/v2/add-dummy-status): face is e.g.
// FACE_MATCH, document e.g. DOC_VALIDATED.
func (c *Client) AddDummyStatus(scanRef, face, document string) error {
	_, err := c.do(call{method: http.MethodPost, path: "/api/v2/add-dummy-status", basic: true, body: map[string]string{
		"scanRef": scanRef, "manualFaceMatchResult": face, "manualDocumentValidity": document,
	}}, nil)
	return err
}

// Verification returns one verification with its webhooks.
func (c *Client) Verification(scanRef string) (Verification, error) {
	var v Verification
	_, err := c.do(call{method: http.MethodGet, path: "/_mock/verifications/" + seg(scanRef)}, &v)
	return v, err
}

// VerificationFilter selects verifications; empty fields match everything.
type VerificationFilter struct {
	// Partner is an API key.
	Partner  string
	ClientID string
	// Status is e.g. ACTIVE, APPROVED, EXPIRED.
	Status string
}

// Verifications lists verifications, oldest first (every page).
func (c *Client) Verifications(f VerificationFilter) ([]Verification, error) {
	var all []Verification
	for {
		q := url.Values{}
		for k, v := range map[string]string{"partner": f.Partner, "clientId": f.ClientID, "status": f.Status} {
			if v != "" {
				q.Set(k, v)
			}
		}
		q.Set("offset", strconv.Itoa(len(all)))
		q.Set("limit", "1000")
		var page struct {
			Total int            `json:"total"`
			Items []Verification `json:"items"`
		}
		if _, err := c.do(call{method: http.MethodGet, path: "/_mock/verifications", query: q}, &page); err != nil {
			return all, err
		}
		all = append(all, page.Items...)
		if len(page.Items) == 0 || len(all) >= page.Total {
			return all, nil
		}
	}
}

// Finish finishes an ACTIVE verification with an outcome (OutcomeApprove,
// OutcomeDeny, OutcomeSuspect, OutcomeUnverified) as the verification page
// does; its webhook follows (wait for it).
func (c *Client) Finish(scanRef, outcome string) (FinishResult, error) {
	return c.FinishWith(scanRef, FinishRequest{Outcome: outcome})
}

// FinishWith is Finish with the deny's face and document results or the
// suspect's tag.
func (c *Client) FinishWith(scanRef string, r FinishRequest) (FinishResult, error) {
	var out FinishResult
	_, err := c.do(call{method: http.MethodPost, path: "/_mock/verifications/" + seg(scanRef) + "/finish", body: r}, &out)
	return out, err
}

func (f Filter) values() url.Values {
	q := url.Values{}
	if f.ScanRef != "" {
		q.Set("scanRef", f.ScanRef)
	}
	if f.Event != "" {
		q.Set("event", f.Event)
	}
	if f.State != "" {
		q.Set("state", f.State)
	}
	return q
}

// Webhooks lists the journal, oldest first (every page).
func (c *Client) Webhooks(f Filter) ([]Webhook, error) {
	var all []Webhook
	for {
		q := f.values()
		q.Set("offset", strconv.Itoa(len(all)))
		q.Set("limit", "1000")
		var page struct {
			Total int       `json:"total"`
			Items []Webhook `json:"items"`
		}
		if _, err := c.do(call{method: http.MethodGet, path: "/_mock/webhooks", query: q}, &page); err != nil {
			return all, err
		}
		all = append(all, page.Items...)
		if len(page.Items) == 0 || len(all) >= page.Total {
			return all, nil
		}
	}
}

// GetWebhook returns one journal entry.
func (c *Client) GetWebhook(id int64) (Webhook, error) {
	var w Webhook
	_, err := c.do(call{method: http.MethodGet, path: "/_mock/webhooks/" + strconv.FormatInt(id, 10)}, &w)
	return w, err
}

// ReplayWebhook sends a journaled webhook again and returns the new entry's id.
func (c *Client) ReplayWebhook(id int64) (int64, error) {
	var out struct {
		ID int64 `json:"id"`
	}
	_, err := c.do(call{method: http.MethodPost, path: "/_mock/webhooks/" + strconv.FormatInt(id, 10) + "/replay"}, &out)
	return out.ID, err
}

// WaitForWebhook waits until a webhook of scanRef has settled (delivered,
// failed, undeliverable, dropped or not subscribed) and returns its journal
// record, Body the exact text sent. Past timeout it returns a
// *WebhookTimeoutError naming the scanRef and what the journal held for it.
func (c *Client) WaitForWebhook(scanRef string, timeout time.Duration) (Webhook, error) {
	return c.WaitForWebhookMatching(Filter{ScanRef: scanRef}, timeout)
}

// WaitForWebhookMatching waits for a webhook matching f: f.Event narrows it
// to one event, f.State to one state (StateDelivered; StateAny includes
// pending). It long-polls /_mock/webhooks/wait, so it returns as soon as the
// webhook exists; it never sleeps.
func (c *Client) WaitForWebhookMatching(f Filter, timeout time.Duration) (Webhook, error) {
	deadline := time.Now().Add(timeout)
	for {
		left := time.Until(deadline)
		ms := left.Milliseconds()
		if left > 0 && ms == 0 {
			ms = 1
		}
		if ms < 0 {
			ms = 0
		}
		if ms > 60000 {
			ms = 60000
		}
		q := f.values()
		q.Set("timeoutMs", strconv.FormatInt(ms, 10))
		var w Webhook
		_, err := c.do(call{method: http.MethodGet, path: "/_mock/webhooks/wait", query: q,
			extra: time.Duration(ms) * time.Millisecond}, &w)
		if err == nil {
			return w, nil
		}
		var e *Error
		if !errors.As(err, &e) || e.Status != http.StatusRequestTimeout {
			return Webhook{}, err
		}
		if time.Now().Before(deadline) {
			continue
		}
		te := &WebhookTimeoutError{Filter: f, Timeout: timeout, Message: e.Message}
		if f.ScanRef != "" {
			te.Seen, te.SeenErr = c.Webhooks(Filter{ScanRef: f.ScanRef, State: StateAny})
		} else {
			te.Seen, te.SeenErr = c.Webhooks(Filter{Event: f.Event, State: StateAny})
		}
		return Webhook{}, te
	}
}

// Clock returns the mock's time.
func (c *Client) Clock() (Clock, error) {
	var out Clock
	_, err := c.do(call{method: http.MethodGet, path: "/_mock/clock"}, &out)
	return out, err
}

// AdvanceClock moves the mock's time by d (whole seconds; negative moves
// back); expiries and purges that fall due happen at once.
func (c *Client) AdvanceClock(d time.Duration) (Clock, error) {
	if d%time.Second != 0 {
		return Clock{}, &Error{Method: http.MethodPost, Path: "/_mock/clock/advance",
			Err: fmt.Errorf("the clock moves in whole seconds, not %v", d)}
	}
	var out Clock
	_, err := c.do(call{method: http.MethodPost, path: "/_mock/clock/advance",
		body: map[string]int64{"seconds": int64(d / time.Second)}}, &out)
	return out, err
}

// SetClock sets the mock's time (to the second).
func (c *Client) SetClock(t time.Time) (Clock, error) {
	var out Clock
	_, err := c.do(call{method: http.MethodPost, path: "/_mock/clock/set",
		body: map[string]int64{"now": t.Unix()}}, &out)
	return out, err
}

// InjectFault registers a fault and returns it with its id.
func (c *Client) InjectFault(spec FaultSpec) (Fault, error) {
	var out Fault
	_, err := c.do(call{method: http.MethodPost, path: "/_mock/faults", body: spec}, &out)
	return out, err
}

// Faults lists the registered faults with how often each fired.
func (c *Client) Faults() ([]Fault, error) {
	var out []Fault
	_, err := c.do(call{method: http.MethodGet, path: "/_mock/faults"}, &out)
	return out, err
}

// ClearFaults removes every fault.
func (c *Client) ClearFaults() error {
	_, err := c.do(call{method: http.MethodDelete, path: "/_mock/faults"}, nil)
	return err
}

// DeleteFault removes one fault.
func (c *Client) DeleteFault(id int64) error {
	_, err := c.do(call{method: http.MethodDelete, path: "/_mock/faults/" + strconv.FormatInt(id, 10)}, nil)
	return err
}

// Reset returns the mock to a known state: verifications, webhooks, faults,
// inboxes, clock and credits.
func (c *Client) Reset() (ResetResult, error) {
	var out ResetResult
	_, err := c.do(call{method: http.MethodPost, path: "/_mock/reset", body: map[string]string{}}, &out)
	return out, err
}

// ResetPartner removes one partner's (by API key) verifications, webhooks and usage.
func (c *Client) ResetPartner(apiKey string) (ResetResult, error) {
	var out ResetResult
	_, err := c.do(call{method: http.MethodPost, path: "/_mock/reset", body: map[string]string{"partner": apiKey}}, &out)
	return out, err
}

// InboxURL is the URL of the mock's built-in webhook receiver name: use it
// as a callbackUrl or Options.WebhookURL when nothing else should receive.
func (c *Client) InboxURL(name string) string { return c.URL + "/_mock/inbox/" + seg(name) }

// Inbox returns what the built-in receiver name got, with signatures checked.
func (c *Client) Inbox(name string) (Inbox, error) {
	var out Inbox
	_, err := c.do(call{method: http.MethodGet, path: "/_mock/inbox/" + seg(name)}, &out)
	return out, err
}

// VerifySignature reports whether w's Idenfy-Signature signs its body with
// the default partner's signing key.
func (c *Client) VerifySignature(w Webhook) bool { return w.VerifySignature(c.SigningKey) }
