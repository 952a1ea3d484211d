#!/usr/bin/env bash
# Drop-in recipe, curl: a script that hard-codes https://ivs.idenfy.com, run
# unmodified against idenfy-mock. It trusts the mock's CA only through
# CURL_CA_BUNDLE (set by whoever runs it) and reads the credentials from the
# environment. Needs curl, jq and openssl.
#   CURL_CA_BUNDLE=/path/to/ca.pem IDENFY_API_KEY=… IDENFY_API_SECRET=… IDENFY_SIGNING_KEY=… ./curl.sh
set -euo pipefail
BASE_URL=https://ivs.idenfy.com
: "${IDENFY_API_KEY:?}" "${IDENFY_API_SECRET:?}" "${IDENFY_SIGNING_KEY:?}"
fail() { echo "FAIL: curl: $*" >&2; exit 1; }

# 1. A dummy verification, as with iDenfy's DEV environment.
response=$(curl -sS -m 15 -w '\n%{http_code}' -u "$IDENFY_API_KEY:$IDENFY_API_SECRET" \
  -H 'Content-Type: application/json' -d '{"clientId": "dropin-curl", "dummyStatus": "APPROVED"}' \
  "$BASE_URL/api/v2/token") || fail "cannot reach $BASE_URL"
status=${response##*$'\n'} token=${response%$'\n'*}
[ "$status" = 201 ] || fail "POST /api/v2/token answered $status: $token"
auth_token=$(jq -r .authToken <<< "$token") scan_ref=$(jq -r .scanRef <<< "$token")
redirect=$(jq -r .redirectUrl <<< "$token")
[ "$redirect" = "$BASE_URL/api/v2/redirect?authToken=$auth_token" ] || fail "redirectUrl is $redirect"

# 2. redirectUrl leads to the verification page (-L follows it as a browser
#    would). A dummy token's verification is already finished, so the page
#    says so with 410; a token without dummyStatus gets the clickable page (200).
page=$(curl -sS -m 15 -L --max-redirs 3 -o /dev/null -w '%{http_code} %{url_effective} %{content_type}' \
  "$redirect") || fail "cannot open $redirect"
read -r page_status page_url page_type <<< "$page"
case $page_status in 200|410) ;; *) fail "the page answered $page_status ($page_url)" ;; esac
[[ $page_type == text/html* ]] || fail "the page is $page_type, not HTML ($page_url)"
[[ $page_url == https://ivs.idenfy.com/* || $page_url == https://ui.idenfy.com/* ]] || fail "the redirect left iDenfy's hosts: $page_url"

# 3. The result webhook, from the mock's journal: its exact body text and headers.
record=$(curl -fsS -m 15 "$BASE_URL/_mock/webhooks/wait?scanRef=$scan_ref&timeoutMs=10000") \
  || fail "no webhook for $scan_ref"
event=$(jq -r .event <<< "$record")
signature=$(jq -r '.headers[] | select(.[0] | ascii_downcase == "idenfy-signature") | .[1]' <<< "$record")
# HMAC-SHA256 of the raw body bytes (jq -j writes the string exactly, no newline).
expected=$(jq -j .body <<< "$record" | openssl dgst -sha256 -hmac "$IDENFY_SIGNING_KEY" -r | cut -d' ' -f1)
[ -n "$signature" ] && [ "$signature" = "$expected" ] || fail "$event webhook with a bad Idenfy-Signature"
[ "$(jq -r .body <<< "$record" | jq -r '.scanRef + " " + .status.overall')" = "$scan_ref APPROVED" ] \
  || fail "the webhook is not the APPROVED result of $scan_ref"
echo "ok: curl: token 201, redirectUrl in iDenfy's form, page $page_status text/html, $event signature valid"
