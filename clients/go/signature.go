package idenfymock

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Sign returns the Idenfy-Signature of body: the lowercase hex HMAC-SHA256
// of the exact body bytes, keyed with the partner's signing key.
func Sign(key string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// VerifySignature reports whether signature (an Idenfy-Signature header) is
// the HMAC-SHA256 of body keyed with key. It compares in constant time; an
// empty or malformed signature is false. Use it in your webhook handler as
// you would for iDenfy.
func VerifySignature(key string, body []byte, signature string) bool {
	got, err := hex.DecodeString(strings.TrimSpace(signature))
	if err != nil || len(got) != sha256.Size {
		return false
	}
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}
