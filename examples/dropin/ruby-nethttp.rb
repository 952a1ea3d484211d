# Drop-in recipe, Ruby Net::HTTP (standard library): an app that hard-codes
# https://ivs.idenfy.com, run unmodified against idenfy-mock. Ruby's OpenSSL
# takes the mock's CA through SSL_CERT_FILE (set by whoever runs it).
# Credentials from the environment.
#   SSL_CERT_FILE=/path/to/ca.pem IDENFY_API_KEY=… IDENFY_API_SECRET=… IDENFY_SIGNING_KEY=… ruby ruby-nethttp.rb
require "json"
require "net/http"
require "openssl"

BASE_URL = "https://ivs.idenfy.com"

def fail!(message)
  warn "FAIL: ruby: #{message}"
  exit 1
end

def perform(uri, request)
  Net::HTTP.start(uri.host, uri.port, use_ssl: uri.scheme == "https", open_timeout: 15, read_timeout: 15) do |http|
    http.request(request)
  end
rescue StandardError => e # e.g. a CA that is not trusted
  fail! "cannot reach #{uri}: #{e.message}"
end

# 1. A dummy verification, as with iDenfy's DEV environment.
uri = URI("#{BASE_URL}/api/v2/token")
request = Net::HTTP::Post.new(uri, "Content-Type" => "application/json")
request.basic_auth(ENV.fetch("IDENFY_API_KEY"), ENV.fetch("IDENFY_API_SECRET"))
request.body = JSON.generate(clientId: "dropin-ruby", dummyStatus: "APPROVED")
response = perform(uri, request)
fail! "POST /api/v2/token answered #{response.code}: #{response.body}" unless response.code == "201"
token = JSON.parse(response.body)
unless token["redirectUrl"] == "#{BASE_URL}/api/v2/redirect?authToken=#{token['authToken']}"
  fail! "redirectUrl is #{token['redirectUrl']}"
end

# 2. redirectUrl leads to the verification page (Net::HTTP does not follow
#    redirects: at most three hops by hand). A dummy token's verification is
#    already finished: 410 says so; without dummyStatus, 200.
page_uri = URI(token["redirectUrl"])
page = nil
4.times do
  page = perform(page_uri, Net::HTTP::Get.new(page_uri))
  break unless page.is_a?(Net::HTTPRedirection)
  page_uri = page_uri.merge(page["Location"])
end
unless %w[200 410].include?(page.code) && page["Content-Type"].to_s.start_with?("text/html")
  fail! "the page answered #{page.code} #{page['Content-Type']} (#{page_uri})"
end
fail! "the redirect left iDenfy's hosts: #{page_uri}" unless %r{\Ahttps://(ivs|ui)\.idenfy\.com/}.match?(page_uri.to_s)

# 3. The result webhook, from the mock's journal: its exact body text and headers.
uri = URI("#{BASE_URL}/_mock/webhooks/wait?scanRef=#{token['scanRef']}&timeoutMs=10000")
response = perform(uri, Net::HTTP::Get.new(uri))
fail! "no webhook for #{token['scanRef']}: #{response.code}" unless response.code == "200"
record = JSON.parse(response.body)
raw = record["body"] # the bytes that were signed: verify these, not re-generated JSON
signature = record["headers"].find { |name, _| name.casecmp?("Idenfy-Signature") }&.last.to_s
expected = OpenSSL::HMAC.hexdigest("SHA256", ENV.fetch("IDENFY_SIGNING_KEY"), raw)
unless expected.bytesize == signature.bytesize && OpenSSL.fixed_length_secure_compare(expected, signature)
  fail! "#{record['event']} webhook with a bad Idenfy-Signature"
end
puts "ok: ruby: token 201, redirectUrl in iDenfy's form, page #{page.code} text/html, #{record['event']} signature valid"
