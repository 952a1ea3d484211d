// idenfy-mock quickstart: create a dummy token, receive and verify its webhook.
// Go standard library only. Exits 0 once a signed webhook has been verified.
package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

var (
	baseURL    = strings.TrimRight(env("IDENFY_MOCK_URL", "http://127.0.0.1:8080"), "/")
	apiKey     = env("IDENFY_API_KEY", "idenfy-mock-key")
	apiSecret  = env("IDENFY_API_SECRET", "idenfy-mock-secret")
	signingKey = env("IDENFY_SIGNING_KEY", "idenfy-mock-signing-key")
)

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func signatureOK(body []byte, signature string) bool {
	mac := hmac.New(sha256.New, []byte(signingKey))
	mac.Write(body)
	expected := hex.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(expected), []byte(signature))
}

type webhook struct {
	ok    bool
	event string
	body  []byte
}

func main() {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail("cannot listen: %v", err)
	}
	port := listener.Addr().(*net.TCPAddr).Port
	received := make(chan webhook, 1)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		ok := err == nil && signatureOK(body, r.Header.Get("Idenfy-Signature"))
		if ok {
			w.WriteHeader(http.StatusOK)
		} else {
			w.WriteHeader(http.StatusUnauthorized)
		}
		select {
		case received <- webhook{ok, r.Header.Get("Idenfy-Event-Type"), body}:
		default:
		}
	})
	go http.Serve(listener, handler)

	payload, _ := json.Marshal(map[string]string{
		"clientId":    "quickstart-go",
		"dummyStatus": "APPROVED",
		"callbackUrl": fmt.Sprintf("http://127.0.0.1:%d/webhook", port),
	})
	req, _ := http.NewRequest(http.MethodPost, baseURL+"/api/v2/token", bytes.NewReader(payload))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(apiKey, apiSecret)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		fail("cannot reach %s: %v", baseURL, err)
	}
	text, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		fail("POST /api/v2/token answered %d: %s", resp.StatusCode, text)
	}

	select {
	case hook := <-received:
		if !hook.ok {
			fail("%s webhook with a bad Idenfy-Signature", hook.event)
		}
		var result struct {
			ScanRef string `json:"scanRef"`
			Status  struct {
				Overall string `json:"overall"`
			} `json:"status"`
		}
		if err := json.Unmarshal(hook.body, &result); err != nil {
			fail("webhook body is not JSON: %v", err)
		}
		fmt.Printf("%s scanRef=%s overall=%s signature valid\n", hook.event, result.ScanRef, result.Status.Overall)
	case <-time.After(20 * time.Second):
		fail("no webhook within 20 s")
	}
}
