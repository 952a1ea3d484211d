# idenfy-mock quickstart: create a dummy token, receive and verify its webhook.
#
# Standard library only (net/http, openssl, socket, json). Exits 0 once a
# signed webhook has been verified.

require "json"
require "net/http"
require "openssl"
require "socket"
require "timeout"

BASE_URL = ENV.fetch("IDENFY_MOCK_URL", "http://127.0.0.1:8080").chomp("/")
API_KEY = ENV.fetch("IDENFY_API_KEY", "idenfy-mock-key")
API_SECRET = ENV.fetch("IDENFY_API_SECRET", "idenfy-mock-secret")
SIGNING_KEY = ENV.fetch("IDENFY_SIGNING_KEY", "idenfy-mock-signing-key")

def signature_ok?(body, signature)
  expected = OpenSSL::HMAC.hexdigest("SHA256", SIGNING_KEY, body)
  expected.bytesize == signature.bytesize &&
    OpenSSL.fixed_length_secure_compare(expected, signature)
end

# Reads one HTTP request from the webhook socket: headers and the exact body bytes.
def read_request(client)
  headers = {}
  client.gets # request line
  while (line = client.gets) && line != "\r\n"
    name, value = line.split(":", 2)
    headers[name.strip.downcase] = value.to_s.strip
  end
  length = [headers.fetch("content-length", "0").to_i, 1 << 20].min
  [headers, client.read(length) || ""]
end

server = TCPServer.new("127.0.0.1", 0)
port = server.addr[1]
received = Queue.new
Thread.new do
  loop do
    client = server.accept
    headers, body = read_request(client)
    ok = signature_ok?(body, headers.fetch("idenfy-signature", ""))
    client.write("HTTP/1.1 #{ok ? '200 OK' : '401 Unauthorized'}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    client.close
    received << [ok, headers.fetch("idenfy-event-type", "?"), body]
  end
end

uri = URI("#{BASE_URL}/api/v2/token")
request = Net::HTTP::Post.new(uri, "Content-Type" => "application/json")
request.basic_auth(API_KEY, API_SECRET)
request.body = JSON.generate(
  clientId: "quickstart-ruby",
  dummyStatus: "APPROVED",
  callbackUrl: "http://127.0.0.1:#{port}/webhook"
)
begin
  response = Net::HTTP.start(uri.host, uri.port, use_ssl: uri.scheme == "https",
                             open_timeout: 10, read_timeout: 10) { |http| http.request(request) }
rescue StandardError => e
  warn "FAIL: cannot reach #{BASE_URL}: #{e.message}"
  exit 1
end
unless response.code == "201"
  warn "FAIL: POST /api/v2/token answered #{response.code}: #{response.body}"
  exit 1
end

begin
  ok, event, body = Timeout.timeout(20) { received.pop }
rescue Timeout::Error
  warn "FAIL: no webhook within 20 s"
  exit 1
end
unless ok
  warn "FAIL: #{event} webhook with a bad Idenfy-Signature"
  exit 1
end
result = JSON.parse(body)
puts "#{event} scanRef=#{result['scanRef']} overall=#{result['status']['overall']} signature valid"
