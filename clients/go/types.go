package idenfymock

import (
	"encoding/json"
	"strings"
	"time"
)

// The default partner's credentials, as the mock embeds them. Start passes
// these (or Options' own) to the binary, so a Mock always knows its own.
const (
	DefaultAPIKey     = "idenfy-mock-key"
	DefaultAPISecret  = "idenfy-mock-secret"
	DefaultSigningKey = "idenfy-mock-signing-key"
)

// Webhook event types (the Idenfy-Event-Type header, and a journal record's
// Event).
const (
	EventAutoFinished   = "IDENTIFICATION_AUTO_FINISHED"
	EventManualFinished = "IDENTIFICATION_MANUAL_FINISHED"
	EventExpired        = "IDENTIFICATION_EXPIRED"
	EventCancelled      = "IDENTIFICATION_CANCELLED"
	EventResubmitted    = "IDENTIFICATION_RESUBMITTED"
	EventIdentification = "IDENTIFICATION"
)

// Delivery states of a journaled webhook. StateAny is only a filter: with
// it, a wait also returns a webhook that is still pending.
const (
	StatePending       = "pending"
	StateDelivered     = "delivered"
	StateFailed        = "failed"
	StateUndeliverable = "undeliverable"
	StateDropped       = "dropped"
	StateNotSubscribed = "not_subscribed"
	StateAny           = "any"
)

// Outcomes of Finish: the verification page's four buttons.
const (
	OutcomeApprove    = "approve"
	OutcomeDeny       = "deny"
	OutcomeSuspect    = "suspect"
	OutcomeUnverified = "unverified"
)

// Fault targets.
const (
	TargetAPI     = "api"
	TargetWebhook = "webhook"
)

// HeaderPair is one header of a journaled webhook: name, value.
type HeaderPair [2]string

// Attempt is one delivery attempt of a webhook.
type Attempt struct {
	// AtMs is when it started, Unix milliseconds on the mock's clock.
	AtMs int64 `json:"atMs"`
	// Status is the receiver's HTTP status, when it answered.
	Status *int `json:"status"`
	// Error says what went wrong, when something did.
	Error     *string `json:"error"`
	LatencyMs int64   `json:"latencyMs"`
}

// Webhook is a journaled webhook (GET /_mock/webhooks/{id}).
type Webhook struct {
	ID      int64  `json:"id"`
	ScanRef string `json:"scanRef"`
	// Partner is the partner's API key.
	Partner string `json:"partner"`
	Event   string `json:"event"`
	Final   bool   `json:"final"`
	// Target is where it was sent; nil when there was nowhere to send it.
	Target *string `json:"target"`
	// Headers in the order sent.
	Headers []HeaderPair `json:"headers"`
	// Body is the exact text sent: assert on it, verify its signature.
	Body     string    `json:"body"`
	State    string    `json:"state"`
	Attempts []Attempt `json:"attempts"`
	// CreatedAtMs is when it was produced, Unix milliseconds on the mock's clock.
	CreatedAtMs int64 `json:"createdAtMs"`
	// CopyOf is the journal id this is a replay or fault-made copy of.
	CopyOf *int64 `json:"copyOf"`
	// Subscription is the index of the partner's subscription it was sent
	// for; nil without subscriptions.
	Subscription *int `json:"subscription"`
}

// Header returns the value of the header name (any case), or "".
func (w Webhook) Header(name string) string {
	for _, h := range w.Headers {
		if strings.EqualFold(h[0], name) {
			return h[1]
		}
	}
	return ""
}

// Signature returns the Idenfy-Signature header, or "" when it was sent unsigned.
func (w Webhook) Signature() string { return w.Header("Idenfy-Signature") }

// VerifySignature reports whether the Idenfy-Signature header is the
// HMAC-SHA256 of Body keyed with key.
func (w Webhook) VerifySignature(key string) bool {
	return VerifySignature(key, []byte(w.Body), w.Signature())
}

// DecodeBody unmarshals Body into v.
func (w Webhook) DecodeBody(v any) error { return json.Unmarshal([]byte(w.Body), v) }

// Filter selects journaled webhooks. Empty fields match everything; State
// empty means "settled" for a wait and "any" for a list.
type Filter struct {
	ScanRef string
	Event   string
	State   string
}

// Clock is the mock's time (GET /_mock/clock).
type Clock struct {
	// Now is Unix seconds as the mock sees them.
	Now   int64 `json:"now"`
	NowMs int64 `json:"nowMs"`
	// OffsetMs is mock time minus real time.
	OffsetMs int64 `json:"offsetMs"`
}

// Time returns Now as a time.Time.
func (c Clock) Time() time.Time { return time.UnixMilli(c.NowMs) }

// Health is GET /_mock/health's answer.
type Health struct {
	Status          string `json:"status"`
	Version         string `json:"version"`
	UptimeSecs      int64  `json:"uptimeSecs"`
	Verifications   int64  `json:"verifications"`
	WebhooksPending int64  `json:"webhooksPending"`
	// ExitWithParent is true when the binary stops by itself once the
	// process that started it is gone (IDENFY_MOCK_EXIT_WITH_PARENT).
	ExitWithParent bool `json:"exitWithParent"`
}

// ResetResult is POST /_mock/reset's answer.
type ResetResult struct {
	// Scope is "all" or the partner's API key.
	Scope                string `json:"scope"`
	RemovedVerifications int    `json:"removedVerifications"`
}

// FinishRequest finishes a verification as the page's buttons do.
type FinishRequest struct {
	// Outcome is OutcomeApprove, OutcomeDeny, OutcomeSuspect or OutcomeUnverified.
	Outcome string `json:"outcome"`
	// Face is, for a deny, the face result (the mock's default: FACE_MISMATCH).
	Face string `json:"face,omitempty"`
	// Document is, for a deny, the document result (default DOC_VALIDATED).
	Document string `json:"document,omitempty"`
	// Tag is, for a suspect, a fraud or mismatch tag (default NAME).
	Tag string `json:"tag,omitempty"`
	// LastAttempt makes this attempt the session's last: a deny then ends
	// the session DENIED even with attempts left (the session gives 2).
	LastAttempt bool `json:"lastAttempt,omitempty"`
}

// FinishResult is what finishing tells the user, and the verification after it.
type FinishResult struct {
	// Result is "approved", "failed" or "unverified"; "retry" when a deny
	// failed an attempt with attempts left (no webhook yet).
	Result       string          `json:"result"`
	AttemptsLeft int             `json:"attemptsLeft,omitempty"`
	RedirectURL  string          `json:"redirectUrl"`
	Message      json.RawMessage `json:"message"`
	Verification Verification    `json:"verification"`
}

// Verification is a verification as the control API shows it. Webhooks is
// filled by Client.Verification only.
type Verification struct {
	ScanRef            string          `json:"scanRef"`
	AuthToken          string          `json:"authToken"`
	Partner            string          `json:"partner"`
	Status             string          `json:"status"`
	Request            json.RawMessage `json:"request"`
	DigitString        *string         `json:"digitString"`
	AutoFace           *string         `json:"autoFace"`
	AutoDocument       *string         `json:"autoDocument"`
	ManualFace         *string         `json:"manualFace"`
	ManualDocument     *string         `json:"manualDocument"`
	FraudTags          []string        `json:"fraudTags"`
	MismatchTags       []string        `json:"mismatchTags"`
	CreatedAt          int64           `json:"createdAt"`
	SessionStartedAt   *int64          `json:"sessionStartedAt"`
	FinishedAt         *int64          `json:"finishedAt"`
	Deadline           *int64          `json:"deadline"`
	FinalWebhookFailed bool            `json:"finalWebhookFailed"`
	ReviewPending      bool            `json:"reviewPending"`
	Webhooks           []Webhook       `json:"webhooks"`
}

// Token is the useful part of POST /api/v2/token's answer; Body is all of it.
type Token struct {
	ScanRef     string `json:"scanRef"`
	AuthToken   string `json:"authToken"`
	ClientID    string `json:"clientId"`
	RedirectURL string `json:"redirectUrl"`
	Body        string `json:"-"`
}

// Unlimited as FaultSpec.Times makes a fault fire until it is cleared.
const Unlimited = -1

// FaultSpec describes a fault to inject (POST /_mock/faults).
type FaultSpec struct {
	// Target is TargetAPI or TargetWebhook.
	Target string
	// Path scopes an API fault to one exact path, e.g. /api/v2/token (also
	// the inbox's /_mock/inbox/{name}); empty = every path.
	Path string
	// Event scopes a webhook fault to one event; empty = every event.
	Event string
	// Partner scopes it to one partner's API key; empty = every partner.
	Partner string
	// Times is how many matches it fires for: 0 = the mock's default (1),
	// Unlimited = until cleared.
	Times  int
	Action FaultAction
}

// MarshalJSON writes the control API's FaultSpec.
func (s FaultSpec) MarshalJSON() ([]byte, error) {
	body := map[string]any{"target": s.Target, "action": s.Action}
	if s.Path != "" {
		body["path"] = s.Path
	}
	if s.Event != "" {
		body["event"] = s.Event
	}
	if s.Partner != "" {
		body["partner"] = s.Partner
	}
	switch {
	case s.Times == Unlimited:
		body["times"] = 0
	case s.Times > 0:
		body["times"] = s.Times
	}
	return json.Marshal(body)
}

// FaultAction is what a fault does; make one with the Action… functions.
type FaultAction struct {
	Type   string `json:"type"`
	Status int    `json:"status,omitempty"`
	Ms     int64  `json:"ms,omitempty"`
}

// ActionStatus (API): answer with this HTTP status and the error envelope.
func ActionStatus(status int) FaultAction { return FaultAction{Type: "status", Status: status} }

// ActionDelay (API and webhook): answer, or deliver, late.
func ActionDelay(d time.Duration) FaultAction {
	return FaultAction{Type: "delay", Ms: d.Milliseconds()}
}

// ActionDrop (API): close the connection with no answer; (webhook): never
// send it (journaled as dropped).
func ActionDrop() FaultAction { return FaultAction{Type: "drop"} }

// ActionDuplicate (webhook): deliver it twice.
func ActionDuplicate() FaultAction { return FaultAction{Type: "duplicate"} }

// ActionReorder (webhook): hold it until the verification's next webhook, then send it after.
func ActionReorder() FaultAction { return FaultAction{Type: "reorder"} }

// ActionBadSignature (webhook): sign with a wrong key.
func ActionBadSignature() FaultAction { return FaultAction{Type: "bad_signature"} }

// ActionNoSignature (webhook): send no Idenfy-Signature header.
func ActionNoSignature() FaultAction { return FaultAction{Type: "no_signature"} }

// ActionNonFinalFirst (webhook): send a correctly signed "final": false copy first.
func ActionNonFinalFirst() FaultAction { return FaultAction{Type: "non_final_first"} }

// Fault is a registered fault and how it has fired.
type Fault struct {
	ID      int64       `json:"id"`
	Target  string      `json:"target"`
	Path    *string     `json:"path"`
	Event   *string     `json:"event"`
	Partner *string     `json:"partner"`
	Times   int         `json:"times"`
	Action  FaultAction `json:"action"`
	// Remaining is how many matches are left; nil = unlimited.
	Remaining *int `json:"remaining"`
	Fired     int  `json:"fired"`
}

// InboxMessage is one webhook received by the mock's built-in inbox.
type InboxMessage struct {
	ID           int64   `json:"id"`
	ReceivedAtMs int64   `json:"receivedAtMs"`
	Event        *string `json:"event"`
	// Signature is "valid", "invalid" or "missing".
	Signature string `json:"signature"`
	// SignedBy is the API key of the partner whose signing key verified it.
	SignedBy    *string `json:"signedBy"`
	ContentType *string `json:"contentType"`
	Body        string  `json:"body"`
	ScanRef     *string `json:"scanRef"`
	ClientID    *string `json:"clientId"`
}

// Inbox is one built-in inbox and its messages, oldest first.
type Inbox struct {
	Name     string         `json:"name"`
	Messages []InboxMessage `json:"messages"`
}
