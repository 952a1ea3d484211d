package idenfymock_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	idenfymock "github.com/your-org/idenfy-mock/clients/go"
)

// The tests create tokens with net/http, as an application would.

type received struct {
	body   []byte
	header http.Header
}

// receiver is a webhook endpoint that hands over what it receives.
func receiver(t *testing.T) (string, <-chan received) {
	t.Helper()
	got := make(chan received, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- received{body, r.Header.Clone()}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/idenfy/webhook", got
}

// createToken posts to /api/v2/token and returns the status and decoded body.
func createToken(t *testing.T, m *idenfymock.Mock, body map[string]any) (int, map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, err := http.NewRequest(http.MethodPost, m.URL+"/api/v2/token", bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(m.APIKey, m.APISecret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("token answer: %v", err)
	}
	return resp.StatusCode, out
}

func scanRef(t *testing.T, m *idenfymock.Mock, body map[string]any) string {
	t.Helper()
	status, out := createToken(t, m, body)
	if status != http.StatusCreated && status != http.StatusOK {
		t.Fatalf("token: %d %v", status, out)
	}
	sr, _ := out["scanRef"].(string)
	if sr == "" {
		t.Fatalf("no scanRef in %v", out)
	}
	return sr
}

func overall(t *testing.T, w idenfymock.Webhook) string {
	t.Helper()
	var body struct {
		Final  bool `json:"final"`
		Status struct {
			Overall string `json:"overall"`
		} `json:"status"`
	}
	if err := w.DecodeBody(&body); err != nil {
		t.Fatalf("webhook body: %v", err)
	}
	return body.Status.Overall
}

func TestStartGivesURLAndCredentials(t *testing.T) {
	m := idenfymock.Start(t)
	if !strings.HasPrefix(m.URL, "http://127.0.0.1:") {
		t.Fatalf("URL %q", m.URL)
	}
	if m.APIKey != idenfymock.DefaultAPIKey || m.APISecret != idenfymock.DefaultAPISecret ||
		m.SigningKey != idenfymock.DefaultSigningKey {
		t.Fatalf("credentials %q %q %q", m.APIKey, m.APISecret, m.SigningKey)
	}
	h, err := m.Health()
	if err != nil || h.Status != "ok" || h.Version == "" {
		t.Fatalf("health %+v %v", h, err)
	}
	if m.PID() <= 0 {
		t.Fatalf("pid %d", m.PID())
	}
}

func TestDummyTokenWebhookIsSignedAndExact(t *testing.T) {
	m := idenfymock.Start(t)
	url, got := receiver(t)
	sr := scanRef(t, m, map[string]any{"clientId": "user-1", "dummyStatus": "APPROVED", "callbackUrl": url})

	w, err := m.WaitForWebhook(sr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if w.ScanRef != sr || w.Event != idenfymock.EventAutoFinished || !w.Final || w.State != idenfymock.StateDelivered {
		t.Fatalf("webhook %+v", w)
	}
	if overall(t, w) != "APPROVED" {
		t.Fatalf("body %s", w.Body)
	}
	if !w.VerifySignature(m.SigningKey) || !m.VerifySignature(w) {
		t.Fatalf("signature %q does not verify", w.Signature())
	}
	if w.VerifySignature("another-key") {
		t.Fatal("a wrong key verified")
	}
	if w.Header("idenfy-event-type") != idenfymock.EventAutoFinished {
		t.Fatalf("headers %v", w.Headers)
	}

	select {
	case r := <-got:
		if string(r.body) != w.Body {
			t.Fatalf("the journal's body is not the bytes sent:\n%s\n%s", r.body, w.Body)
		}
		if !idenfymock.VerifySignature(m.SigningKey, r.body, r.header.Get("Idenfy-Signature")) {
			t.Fatal("received signature does not verify")
		}
		if r.header.Get("Idenfy-Signature") != idenfymock.Sign(m.SigningKey, r.body) {
			t.Fatal("Sign differs from the header")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the receiver got nothing although the journal says delivered")
	}

	list, err := m.Webhooks(idenfymock.Filter{ScanRef: sr})
	if err != nil || len(list) != 1 || list[0].ID != w.ID {
		t.Fatalf("list %v %v", list, err)
	}
	one, err := m.GetWebhook(w.ID)
	if err != nil || one.Body != w.Body {
		t.Fatalf("get %v", err)
	}
}

func TestFinishWithEveryPageOutcome(t *testing.T) {
	m := idenfymock.Start(t)
	resp, err := http.Get(m.URL + "/_mock/scenarios")
	if err != nil {
		t.Fatal(err)
	}
	var scenarios struct {
		PageOutcomes []string `json:"pageOutcomes"`
	}
	err = json.NewDecoder(resp.Body).Decode(&scenarios)
	resp.Body.Close()
	if err != nil || len(scenarios.PageOutcomes) == 0 {
		t.Fatalf("scenarios: %v %v", scenarios, err)
	}
	want := map[string][2]string{
		idenfymock.OutcomeApprove:    {idenfymock.EventAutoFinished, "APPROVED"},
		idenfymock.OutcomeDeny:       {idenfymock.EventAutoFinished, "DENIED"},
		idenfymock.OutcomeSuspect:    {idenfymock.EventAutoFinished, "SUSPECTED"},
		idenfymock.OutcomeUnverified: {idenfymock.EventCancelled, "EXPIRED"},
	}
	for _, outcome := range scenarios.PageOutcomes {
		exp, ok := want[outcome]
		if !ok {
			t.Errorf("outcome %q is new to this test", outcome)
			continue
		}
		sr := scanRef(t, m, map[string]any{"clientId": "page-" + outcome})
		res, err := m.Finish(sr, outcome)
		if err == nil && outcome == idenfymock.OutcomeDeny {
			// The first of the session's two attempts failed: no webhook yet.
			if res.Result != "retry" || res.AttemptsLeft != 1 {
				t.Fatalf("first deny: %+v", res)
			}
			res, err = m.Finish(sr, outcome)
		}
		if err != nil {
			t.Fatalf("%s: %v", outcome, err)
		}
		if res.Verification.ScanRef != sr || res.Verification.Status != exp[1] {
			t.Fatalf("%s: %+v", outcome, res)
		}
		w, err := m.WaitForWebhook(sr, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if w.Event != exp[0] || overall(t, w) != exp[1] || !w.VerifySignature(m.SigningKey) {
			t.Fatalf("%s: %s %s", outcome, w.Event, w.Body)
		}
	}
	// A deny with its details.
	sr := scanRef(t, m, map[string]any{"clientId": "deny-details"})
	res, err := m.FinishWith(sr, idenfymock.FinishRequest{Outcome: idenfymock.OutcomeDeny, Face: "FACE_MATCH", Document: "DOC_EXPIRED", LastAttempt: true})
	if err != nil || res.Verification.AutoDocument == nil || *res.Verification.AutoDocument != "DOC_EXPIRED" {
		t.Fatalf("deny with details: %+v %v", res, err)
	}
}

func TestAddDummyStatusSendsTheManualResult(t *testing.T) {
	m := idenfymock.Start(t)
	sr := scanRef(t, m, map[string]any{"clientId": "review", "dummyStatus": "APPROVED", "reviewSuccessful": true})
	auto, err := m.WaitForWebhook(sr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if auto.Event != idenfymock.EventAutoFinished || auto.Final {
		t.Fatalf("auto webhook %s final=%v", auto.Event, auto.Final)
	}
	if err := m.AddDummyStatus(sr, "FACE_MATCH", "DOC_VALIDATED"); err != nil {
		t.Fatal(err)
	}
	manual, err := m.WaitForWebhookMatching(idenfymock.Filter{ScanRef: sr, Event: idenfymock.EventManualFinished}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !manual.Final || overall(t, manual) != "APPROVED" || !manual.VerifySignature(m.SigningKey) {
		t.Fatalf("manual webhook %s", manual.Body)
	}
	v, err := m.Verification(sr)
	if err != nil || v.Status != "APPROVED" || len(v.Webhooks) != 2 {
		t.Fatalf("verification %+v %v", v, err)
	}
	list, err := m.Verifications(idenfymock.VerificationFilter{ClientID: "review"})
	if err != nil || len(list) != 1 || list[0].ScanRef != sr || list[0].Partner != m.APIKey {
		t.Fatalf("verifications %+v %v", list, err)
	}
	// The iDenfy API's own message comes through.
	err = m.AddDummyStatus(sr, "NOT_A_RESULT", "DOC_VALIDATED")
	var e *idenfymock.Error
	if !errors.As(err, &e) || e.Status != 400 || !strings.Contains(e.Message, "manualFaceMatchResult") ||
		!strings.Contains(err.Error(), e.Message) {
		t.Fatalf("bad add-dummy-status: %v", err)
	}
}

func TestMovingTheClockExpiresATokenWithoutWaiting(t *testing.T) {
	m := idenfymock.Start(t)
	before, err := m.Clock()
	if err != nil {
		t.Fatal(err)
	}
	sr := scanRef(t, m, map[string]any{"clientId": "late", "expiryTime": 60})
	after, err := m.AdvanceClock(61 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if after.Now < before.Now+61 || after.OffsetMs < 61000 {
		t.Fatalf("clock %+v → %+v", before, after)
	}
	w, err := m.WaitForWebhook(sr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if w.Event != idenfymock.EventExpired || overall(t, w) != "EXPIRED" {
		t.Fatalf("%s %s", w.Event, w.Body)
	}
	set := time.Unix(after.Now+3600, 0)
	c, err := m.SetClock(set)
	if err != nil || c.Now != set.Unix() || c.Time().Unix() != set.Unix() {
		t.Fatalf("set clock %+v %v", c, err)
	}
	if _, err := m.AdvanceClock(1500 * time.Millisecond); err == nil {
		t.Fatal("a fraction of a second was accepted")
	}
}

func TestFaults(t *testing.T) {
	m := idenfymock.Start(t)
	f, err := m.InjectFault(idenfymock.FaultSpec{Target: idenfymock.TargetAPI, Path: "/api/v2/token",
		Action: idenfymock.ActionStatus(503)})
	if err != nil || f.ID == 0 || f.Remaining == nil || *f.Remaining != 1 {
		t.Fatalf("inject: %+v %v", f, err)
	}
	status, body := createToken(t, m, map[string]any{"clientId": "faulty"})
	if status != http.StatusServiceUnavailable {
		t.Fatalf("token with a fault: %d %v", status, body)
	}
	scanRef(t, m, map[string]any{"clientId": "fine-again"})
	faults, err := m.Faults()
	if err != nil || len(faults) != 1 || faults[0].Fired != 1 {
		t.Fatalf("faults %+v %v", faults, err)
	}

	// A webhook fault: a wrong signature, until cleared.
	if _, err := m.InjectFault(idenfymock.FaultSpec{Target: idenfymock.TargetWebhook, Times: idenfymock.Unlimited,
		Action: idenfymock.ActionBadSignature()}); err != nil {
		t.Fatal(err)
	}
	sr := scanRef(t, m, map[string]any{"clientId": "bad-sig", "dummyStatus": "DENIED"})
	w, err := m.WaitForWebhook(sr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if w.VerifySignature(m.SigningKey) || w.Signature() == "" {
		t.Fatalf("the bad_signature fault sent a valid signature %q", w.Signature())
	}
	if err := m.ClearFaults(); err != nil {
		t.Fatal(err)
	}
	if faults, err := m.Faults(); err != nil || len(faults) != 0 {
		t.Fatalf("after clear: %+v %v", faults, err)
	}
	sr = scanRef(t, m, map[string]any{"clientId": "good-sig", "dummyStatus": "DENIED"})
	if w, err := m.WaitForWebhook(sr, 10*time.Second); err != nil || !w.VerifySignature(m.SigningKey) {
		t.Fatalf("after clear: %v", err)
	}

	// One fault removed by id; a wrong id carries the mock's message.
	f, err = m.InjectFault(idenfymock.FaultSpec{Target: idenfymock.TargetAPI, Action: idenfymock.ActionDelay(10 * time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.DeleteFault(f.ID); err != nil {
		t.Fatal(err)
	}
	err = m.DeleteFault(f.ID)
	var e *idenfymock.Error
	if !errors.As(err, &e) || e.Status != 404 || !strings.Contains(err.Error(), "no fault with id") {
		t.Fatalf("second delete: %v", err)
	}
	_, err = m.InjectFault(idenfymock.FaultSpec{Target: "nowhere", Action: idenfymock.ActionDrop()})
	if !errors.As(err, &e) || e.Status != 400 || !strings.Contains(err.Error(), "nowhere") {
		t.Fatalf("bad target: %v", err)
	}
}

func TestReset(t *testing.T) {
	m := idenfymock.Start(t)
	sr := scanRef(t, m, map[string]any{"clientId": "gone-soon", "dummyStatus": "APPROVED"})
	if _, err := m.WaitForWebhook(sr, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := m.AdvanceClock(time.Hour); err != nil {
		t.Fatal(err)
	}
	r, err := m.ResetPartner(m.APIKey)
	if err != nil || r.Scope != m.APIKey || r.RemovedVerifications != 1 {
		t.Fatalf("partner reset %+v %v", r, err)
	}
	scanRef(t, m, map[string]any{"clientId": "another"})
	r, err = m.Reset()
	if err != nil || r.Scope != "all" || r.RemovedVerifications != 1 {
		t.Fatalf("reset %+v %v", r, err)
	}
	list, err := m.Webhooks(idenfymock.Filter{})
	if err != nil || len(list) != 0 {
		t.Fatalf("webhooks after reset: %d %v", len(list), err)
	}
	c, err := m.Clock()
	if err != nil || c.OffsetMs != 0 {
		t.Fatalf("clock after reset %+v %v", c, err)
	}
	_, err = m.ResetPartner("nobody")
	var e *idenfymock.Error
	if !errors.As(err, &e) || e.Status != 400 || e.Message != "no partner has API key 'nobody'" {
		t.Fatalf("unknown partner: %v", err)
	}
}

func TestAWaitThatTimesOutNamesTheScanRef(t *testing.T) {
	m := idenfymock.Start(t)
	sr := scanRef(t, m, map[string]any{"clientId": "never-finishes"})
	start := time.Now()
	_, err := m.WaitForWebhook(sr, 300*time.Millisecond)
	var te *idenfymock.WebhookTimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("want a WebhookTimeoutError, got %v", err)
	}
	if took := time.Since(start); took < 300*time.Millisecond || took > 5*time.Second {
		t.Fatalf("the wait took %v", took)
	}
	msg := err.Error()
	if !strings.Contains(msg, sr) || !strings.Contains(msg, "seen for this scanRef: none") ||
		!strings.Contains(msg, "no matching webhook within") {
		t.Fatalf("message: %s", msg)
	}

	// What was seen is named: here the automatic webhook, not the manual one waited for.
	sr = scanRef(t, m, map[string]any{"clientId": "auto-only", "dummyStatus": "APPROVED"})
	w, err := m.WaitForWebhook(sr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.WaitForWebhookMatching(idenfymock.Filter{ScanRef: sr, Event: idenfymock.EventManualFinished}, 200*time.Millisecond)
	if !errors.As(err, &te) || len(te.Seen) != 1 || te.Seen[0].ID != w.ID {
		t.Fatalf("seen: %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, sr) || !strings.Contains(msg, idenfymock.EventManualFinished) ||
		!strings.Contains(msg, idenfymock.EventAutoFinished+" undeliverable") {
		t.Fatalf("message: %s", msg)
	}
}

func TestErrorsCarryTheMocksMessage(t *testing.T) {
	m := idenfymock.Start(t)
	_, err := m.Finish("no-such-scan-ref", idenfymock.OutcomeApprove)
	var e *idenfymock.Error
	if !errors.As(err, &e) || e.Status != 404 || e.Message != "no verification with scanRef 'no-such-scan-ref'" {
		t.Fatalf("finish unknown: %v", err)
	}
	if !strings.Contains(err.Error(), e.Message) || !strings.Contains(err.Error(), "/finish") {
		t.Fatalf("message: %v", err)
	}
	sr := scanRef(t, m, map[string]any{"clientId": "twice"})
	if _, err := m.Finish(sr, idenfymock.OutcomeApprove); err != nil {
		t.Fatal(err)
	}
	_, err = m.Finish(sr, idenfymock.OutcomeDeny)
	if !errors.As(err, &e) || e.Status != 409 || !strings.Contains(err.Error(), "already has a result") {
		t.Fatalf("finish twice: %v", err)
	}
	_, err = m.Finish(sr, "maybe")
	if !errors.As(err, &e) || e.Status != 400 || !strings.Contains(err.Error(), "outcome must be one of") {
		t.Fatalf("bad outcome: %v", err)
	}
}

func TestOwnCredentialsArePassedToTheBinary(t *testing.T) {
	m := idenfymock.StartWith(t, idenfymock.Options{APIKey: "my-key", APISecret: "my-secret", SigningKey: "my-signing-key"})
	if m.APIKey != "my-key" || m.APISecret != "my-secret" || m.SigningKey != "my-signing-key" {
		t.Fatalf("credentials %q %q %q", m.APIKey, m.APISecret, m.SigningKey)
	}
	sr := scanRef(t, m, map[string]any{"clientId": "own", "dummyStatus": "APPROVED"})
	w, err := m.WaitForWebhook(sr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if w.Partner != "my-key" || !w.VerifySignature("my-signing-key") || w.VerifySignature(idenfymock.DefaultSigningKey) {
		t.Fatalf("partner %q signature %q", w.Partner, w.Signature())
	}
}

func TestAdminTokenIsSent(t *testing.T) {
	m := idenfymock.StartWith(t, idenfymock.Options{AdminToken: "let-me-in"})
	if _, err := m.Clock(); err != nil {
		t.Fatalf("with the token: %v", err)
	}
	resp, err := http.Get(m.URL + "/_mock/clock")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusForbidden {
		t.Fatalf("without the token: %d", resp.StatusCode)
	}
}

func TestInbox(t *testing.T) {
	m := idenfymock.Start(t)
	sr := scanRef(t, m, map[string]any{"clientId": "inbox", "dummyStatus": "APPROVED", "callbackUrl": m.InboxURL("ci")})
	w, err := m.WaitForWebhookMatching(idenfymock.Filter{ScanRef: sr, State: idenfymock.StateDelivered}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	in, err := m.Inbox("ci")
	if err != nil || len(in.Messages) != 1 || in.Messages[0].Signature != "valid" || in.Messages[0].Body != w.Body {
		t.Fatalf("inbox %+v %v", in, err)
	}
	id, err := m.ReplayWebhook(w.ID)
	if err != nil || id <= w.ID {
		t.Fatalf("replay %d %v", id, err)
	}
}

func TestStopEndsTheProcess(t *testing.T) {
	m, err := idenfymock.Launch(idenfymock.Options{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := m.Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-m.Exited():
	default:
		t.Fatal("Stop returned before the process exited")
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("stop took %v", took)
	}
	if err := m.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if _, err := m.Health(); err == nil {
		t.Fatal("the mock still answers after Stop")
	}
}

func TestAStartThatFailsSaysWhy(t *testing.T) {
	_, err := idenfymock.Launch(idenfymock.Options{Args: []string{"--no-such-flag"}})
	if err == nil || !strings.Contains(err.Error(), "exited") || !strings.Contains(err.Error(), "--no-such-flag") {
		t.Fatalf("bad flag: %v", err)
	}
	_, err = idenfymock.Launch(idenfymock.Options{Binary: "/nonexistent/idenfy-mock"})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/idenfy-mock") {
		t.Fatalf("missing binary: %v", err)
	}
}

func TestVerifySignature(t *testing.T) {
	body := []byte(`{"final":true}`)
	sig := idenfymock.Sign("k", body)
	if len(sig) != 64 || strings.ToLower(sig) != sig {
		t.Fatalf("signature %q", sig)
	}
	for _, c := range []struct {
		key, sig string
		body     []byte
		ok       bool
	}{
		{"k", sig, body, true},
		{"k", " " + sig + "\n", body, true},
		{"other", sig, body, false},
		{"k", sig, []byte(`{"final": true}`), false},
		{"k", "", body, false},
		{"k", "zz", body, false},
		{"k", sig[:62], body, false},
	} {
		if got := idenfymock.VerifySignature(c.key, c.body, c.sig); got != c.ok {
			t.Errorf("VerifySignature(%q, %s, %q) = %v", c.key, c.body, c.sig, got)
		}
	}
}
