# shellcheck shell=bash
# Sourced by scripts/dropin-test and `scripts/quickstarts --drop-in`; not run
# on its own. Needs root (ip netns).
#
# Makes a private network + mount namespace in which ivs.idenfy.com and
# ui.idenfy.com resolve to 127.0.0.1 (`ip netns exec` bind-mounts
# /etc/netns/NAME/hosts over /etc/hosts), and runs idenfy-mock inside it:
# https://ivs.idenfy.com on 127.0.0.1:443, plain http on 127.0.0.1:8080. The
# namespace has only `lo`: nothing outside reaches the mock, and nothing
# inside reaches out, so an app that hard-codes https://ivs.idenfy.com can be
# run unmodified and cannot touch the real service.
#
# IDENFY_MOCK_DROPIN picks how the mock serves TLS:
#   native   idenfy-mock --drop-in --tls-dir DIR: the mock's own TLS listener;
#            it makes DIR/ca.pem, ca.key, server.pem, server.key and ca.p12
#            on first start.
#   standin  the plain mock with --public-url https://ivs.idenfy.com behind
#            socat terminating TLS on 127.0.0.1:443, with a CA and server
#            certificate made here with openssl (and ca.p12 with keytool) in
#            the same layout. For developing the harness before --drop-in.
#
# After dropin_up: DROPIN_NS (namespace), DROPIN_TLS (the TLS folder),
# DROPIN_CA (DROPIN_TLS/ca.pem), DROPIN_LOG (the mock's log). Run a command in
# the namespace with dropin_in [NAME=VALUE…] CMD…: its environment has no
# trust or proxy variable from the caller, so a client trusts the mock's CA
# only through the one setting that is passed explicitly.

# native: the mock's own TLS listener (the default); standin: openssl and socat in front of a plain mock, kept to check the harness itself.
DROPIN_MODE=${IDENFY_MOCK_DROPIN:-native}

DROPIN_NS=""
DROPIN_TLS=""
DROPIN_CA=""
DROPIN_LOG=""
DROPIN_BIN=""
DROPIN_WORK=""
DROPIN_MOCK_CMD=()
_dropin_mock_pid=""
_dropin_tls_pid=""
_dropin_made_etc_netns=""

# Removed from every environment in the namespace: each client gets the one
# trust setting its stack documents, and nothing reaches for a proxy.
DROPIN_CLEAN_ENV=(
  -u CURL_CA_BUNDLE -u SSL_CERT_FILE -u SSL_CERT_DIR -u REQUESTS_CA_BUNDLE
  -u NODE_EXTRA_CA_CERTS -u NODE_TLS_REJECT_UNAUTHORIZED -u NODE_OPTIONS -u NODE_USE_SYSTEM_CA
  -u JAVA_TOOL_OPTIONS -u JDK_JAVA_OPTIONS -u _JAVA_OPTIONS
  -u GIT_SSL_CAINFO -u HTTPLIB2_CA_CERTS -u AWS_CA_BUNDLE -u NIX_SSL_CERT_FILE -u PIP_CERT
  -u GRPC_DEFAULT_SSL_ROOTS_FILE_PATH -u CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE
  -u http_proxy -u https_proxy -u HTTP_PROXY -u HTTPS_PROXY -u all_proxy -u ALL_PROXY
  -u no_proxy -u NO_PROXY
  -u IDENFY_MOCK_URL -u IDENFY_BASE_URL -u IDENFY_API_KEY -u IDENFY_API_SECRET -u IDENFY_SIGNING_KEY
  -u IDENFY_MOCK_CONFIG -u IDENFY_MOCK_LISTEN -u IDENFY_MOCK_PUBLIC_URL -u IDENFY_MOCK_WEBHOOK_URL
  -u IDENFY_MOCK_API_KEY -u IDENFY_MOCK_API_SECRET -u IDENFY_MOCK_SIGNING_KEY
  -u IDENFY_MOCK_STATE_FILE -u IDENFY_MOCK_SEED -u IDENFY_MOCK_ADMIN_TOKEN
  -u IDENFY_MOCK_TLS_LISTEN -u IDENFY_MOCK_TLS_DIR -u IDENFY_MOCK_DROP_IN
)

dropin_in() {
  ip netns exec "$DROPIN_NS" env "${DROPIN_CLEAN_ENV[@]}" "$@"
}

# The mock's command, into DROPIN_MOCK_CMD. The native line is the real
# drop-in invocation: TLS on 127.0.0.1:443 (the --listen IP, port 443), public
# URL https://ivs.idenfy.com, certificate names ivs.idenfy.com, ui.idenfy.com.
_dropin_mock_cmd() {
  case $DROPIN_MODE in
    native)  DROPIN_MOCK_CMD=("$DROPIN_BIN" --listen 127.0.0.1:8080 --drop-in --tls-dir "$DROPIN_TLS") ;;
    standin) DROPIN_MOCK_CMD=("$DROPIN_BIN" --listen 127.0.0.1:8080 --public-url https://ivs.idenfy.com) ;;
  esac
}

# Stand-in TLS folder, laid out as --drop-in lays out its own: ca.pem (the CA,
# public), ca.key, server.pem, server.key (keys 0600), ca.p12 (a PKCS#12
# truststore with the CA as trusted entry, password changeit, made with keytool
# so that Java reads it as a trusted certificate).
_dropin_standin_tls() {
  local dir=$1
  cat > "$dir/openssl.cnf" <<'CNF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = idenfy-mock stand-in CA
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:ivs.idenfy.com, DNS:ui.idenfy.com, DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
  (
    cd "$dir" || exit 1
    umask 077
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
      -config openssl.cnf -extensions ca -keyout ca.key -out ca.pem 2>/dev/null
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=ivs.idenfy.com \
      -config openssl.cnf -keyout server.key -out server.csr 2>/dev/null
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial "0x$(openssl rand -hex 8)" \
      -days 30 -extfile openssl.cnf -extensions server -out server.pem 2>/dev/null
    chmod 644 ca.pem server.pem
    rm -f server.csr openssl.cnf
    if command -v keytool >/dev/null; then
      keytool -importcert -noprompt -alias idenfy-mock-ca -file ca.pem \
        -keystore ca.p12 -storetype PKCS12 -storepass changeit >/dev/null 2>&1
      chmod 644 ca.p12
    fi
  )
}

_dropin_wait_ready() {
  local deadline=$((SECONDS + ${1:-30}))
  while :; do
    if ! kill -0 "$_dropin_mock_pid" 2>/dev/null; then
      echo "idenfy-mock exited during start-up:" >&2; sed 's/^/    /' "$DROPIN_LOG" >&2; return 1
    fi
    if [ -n "$_dropin_tls_pid" ] && ! kill -0 "$_dropin_tls_pid" 2>/dev/null; then
      echo "the stand-in TLS terminator (socat) exited:" >&2; sed 's/^/    /' "$DROPIN_WORK/socat.log" >&2; return 1
    fi
    if [ -s "$DROPIN_CA" ] \
      && dropin_in curl -fsS -m 2 -o /dev/null http://127.0.0.1:8080/_mock/health 2>/dev/null \
      && dropin_in curl -fsS -m 2 -o /dev/null --cacert "$DROPIN_CA" https://ivs.idenfy.com/_mock/health 2>/dev/null; then
      return 0
    fi
    if [ $SECONDS -ge "$deadline" ]; then
      echo "the mock did not answer on https://ivs.idenfy.com within ${1:-30} s; its log:" >&2
      sed 's/^/    /' "$DROPIN_LOG" >&2; return 1
    fi
    sleep 0.05
  done
}

# Starts the mock (and, for the stand-in, the TLS terminator) in the namespace
# and waits until https://ivs.idenfy.com answers with the CA in DROPIN_CA.
dropin_start_mock() {
  _dropin_mock_cmd
  # The default partner's embedded credentials; nothing from the caller's IDENFY_MOCK_*.
  dropin_in RUST_LOG=info NO_COLOR=1 "${DROPIN_MOCK_CMD[@]}" >> "$DROPIN_LOG" 2>&1 &
  _dropin_mock_pid=$!
  if [ "$DROPIN_MODE" = standin ] && [ -z "$_dropin_tls_pid" ]; then
    dropin_in socat \
      "OPENSSL-LISTEN:443,bind=127.0.0.1,fork,reuseaddr,cert=$DROPIN_TLS/server.pem,key=$DROPIN_TLS/server.key,verify=0" \
      TCP:127.0.0.1:8080 > "$DROPIN_WORK/socat.log" 2>&1 &
    _dropin_tls_pid=$!
  fi
  _dropin_wait_ready 30
}

# Stops the mock with SIGTERM and waits for it to exit (it exits 0 within its
# shutdown grace plus a second).
dropin_stop_mock() {
  local pid=$_dropin_mock_pid rc=0 deadline=$((SECONDS + 15))
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "idenfy-mock did not exit within 15 s of SIGTERM" >&2
    kill -KILL "$pid" 2>/dev/null || true
    rc=1
  fi
  wait "$pid" 2>/dev/null || true
  _dropin_mock_pid=""
  return $rc
}

# dropin_up BIN WORKDIR
dropin_up() {
  DROPIN_BIN=$1
  DROPIN_WORK=$2
  case $DROPIN_MODE in
    native|standin) ;;
    *) echo "IDENFY_MOCK_DROPIN must be native or standin, not '$DROPIN_MODE'" >&2; return 1 ;;
  esac
  [ "$(id -u)" = 0 ] || { echo "the drop-in namespace needs root (ip netns)" >&2; return 1; }
  local tool
  for tool in ip curl openssl $([ "$DROPIN_MODE" = standin ] && echo socat); do
    command -v "$tool" >/dev/null || {
      echo "the drop-in namespace needs $tool (Debian: $([ "$tool" = ip ] && echo iproute2 || echo "$tool"))" >&2; return 1; }
  done
  DROPIN_TLS=$DROPIN_WORK/tls
  DROPIN_CA=$DROPIN_TLS/ca.pem
  DROPIN_LOG=$DROPIN_WORK/mock.log
  mkdir -p "$DROPIN_TLS"
  [ "$DROPIN_MODE" = standin ] && _dropin_standin_tls "$DROPIN_TLS"

  DROPIN_NS=idenfy-dropin-$$
  [ -d /etc/netns ] || { mkdir /etc/netns; _dropin_made_etc_netns=1; }
  mkdir -p "/etc/netns/$DROPIN_NS"
  cat > "/etc/netns/$DROPIN_NS/hosts" <<'HOSTS'
127.0.0.1 localhost
::1 localhost ip6-localhost ip6-loopback
127.0.0.1 ivs.idenfy.com ui.idenfy.com
HOSTS
  ip netns add "$DROPIN_NS"
  ip -n "$DROPIN_NS" link set lo up
  dropin_start_mock
}

# Ends every process in the namespace (all started by this script), deletes
# the namespace and its hosts file. Safe to call more than once, and from an
# EXIT trap under set -e: nothing in it may fail.
dropin_down() {
  [ -n "$DROPIN_NS" ] || return 0
  local pid deadline
  for pid in $_dropin_mock_pid $_dropin_tls_pid; do kill -TERM "$pid" 2>/dev/null || true; done
  deadline=$((SECONDS + 10))
  while [ -n "$(ip netns pids "$DROPIN_NS" 2>/dev/null)" ] && [ $SECONDS -lt $deadline ]; do
    for pid in $(ip netns pids "$DROPIN_NS" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null || true; done
    sleep 0.05
  done
  for pid in $(ip netns pids "$DROPIN_NS" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
  for pid in $_dropin_mock_pid $_dropin_tls_pid; do wait "$pid" 2>/dev/null || true; done
  _dropin_mock_pid="" _dropin_tls_pid=""
  ip netns del "$DROPIN_NS" 2>/dev/null || true
  rm -rf "/etc/netns/$DROPIN_NS"
  if [ -n "$_dropin_made_etc_netns" ]; then rmdir /etc/netns 2>/dev/null || true; fi
  DROPIN_NS=""
  return 0
}
