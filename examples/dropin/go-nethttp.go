// Drop-in recipe, Go net/http (standard library): an app that hard-codes
// https://ivs.idenfy.com, run unmodified against idenfy-mock. Go on Linux takes
// its roots from SSL_CERT_FILE (set by whoever runs it). Credentials from the
// environment.
//
//	SSL_CERT_FILE=/path/to/ca.pem IDENFY_API_KEY=… IDENFY_API_SECRET=… IDENFY_SIGNING_KEY=… go run go-nethttp.go
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"time"
)

const baseURL = "https://ivs.idenfy.com"

var client = &http.Client{Timeout: 15 * time.Second} // follows redirects

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "FAIL: go: "+format+"\n", args...)
	os.Exit(1)
}

func do(req *http.Request) (*http.Response, []byte) {
	resp, err := client.Do(req)
	if err != nil { // e.g. a CA that is not trusted
		fail("cannot reach %s: %v", req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp, body
}

func main() {
	// 1. A dummy verification, as with iDenfy's DEV environment.
	req, _ := http.NewRequest(http.MethodPost, baseURL+"/api/v2/token",
		strings.NewReader(`{"clientId": "dropin-go", "dummyStatus": "APPROVED"}`))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(os.Getenv("IDENFY_API_KEY"), os.Getenv("IDENFY_API_SECRET"))
	resp, body := do(req)
	if resp.StatusCode != http.StatusCreated {
		fail("POST /api/v2/token answered %d: %s", resp.StatusCode, body)
	}
	var token struct{ AuthToken, ScanRef, RedirectURL string }
	if err := json.Unmarshal(body, &token); err != nil { // names match case-insensitively: redirectUrl → RedirectURL
		fail("the token answer is not JSON: %v", err)
	}
	if token.RedirectURL != baseURL+"/api/v2/redirect?authToken="+token.AuthToken {
		fail("redirectUrl is %s", token.RedirectURL)
	}

	// 2. redirectUrl leads to the verification page. A dummy token's verification
	//    is already finished: 410 says so; without dummyStatus, 200.
	req, _ = http.NewRequest(http.MethodGet, token.RedirectURL, nil)
	page, _ := do(req)
	pageURL := page.Request.URL.String()
	if (page.StatusCode != 200 && page.StatusCode != 410) || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") {
		fail("the page answered %d %s (%s)", page.StatusCode, page.Header.Get("Content-Type"), pageURL)
	}
	if !regexp.MustCompile(`^https://(ivs|ui)\.idenfy\.com/`).MatchString(pageURL) {
		fail("the redirect left iDenfy's hosts: %s", pageURL)
	}

	// 3. The result webhook, from the mock's journal: its exact body text and headers.
	req, _ = http.NewRequest(http.MethodGet, baseURL+"/_mock/webhooks/wait?scanRef="+token.ScanRef+"&timeoutMs=10000", nil)
	resp, body = do(req)
	if resp.StatusCode != http.StatusOK {
		fail("no webhook for %s: %d", token.ScanRef, resp.StatusCode)
	}
	var record struct {
		Event   string
		Headers [][]string
		Body    string
	}
	if err := json.Unmarshal(body, &record); err != nil {
		fail("the journal record is not JSON: %v", err)
	}
	signature := ""
	for _, header := range record.Headers {
		if len(header) == 2 && strings.EqualFold(header[0], "Idenfy-Signature") {
			signature = header[1]
		}
	}
	mac := hmac.New(sha256.New, []byte(os.Getenv("IDENFY_SIGNING_KEY")))
	mac.Write([]byte(record.Body)) // the bytes that were signed: verify these, not re-marshalled JSON
	if !hmac.Equal([]byte(hex.EncodeToString(mac.Sum(nil))), []byte(signature)) {
		fail("%s webhook with a bad Idenfy-Signature", record.Event)
	}
	fmt.Printf("ok: go: token 201, redirectUrl in iDenfy's form, page %d text/html, %s signature valid\n", page.StatusCode, record.Event)
}
