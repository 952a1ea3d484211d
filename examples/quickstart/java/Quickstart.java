// idenfy-mock quickstart: create a dummy token, receive and verify its webhook.
//
// JDK only (java.net.http, com.sun.net.httpserver, javax.crypto); Java 11+,
// run as a single source file. Exits 0 once a signed webhook was verified.

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

public class Quickstart {
    static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isEmpty() ? fallback : value;
    }

    static final String BASE_URL = env("IDENFY_MOCK_URL", "http://127.0.0.1:8080").replaceAll("/+$", "");
    static final String API_KEY = env("IDENFY_API_KEY", "idenfy-mock-key");
    static final String API_SECRET = env("IDENFY_API_SECRET", "idenfy-mock-secret");
    static final String SIGNING_KEY = env("IDENFY_SIGNING_KEY", "idenfy-mock-signing-key");

    static boolean signatureOk(byte[] body, String signature) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SIGNING_KEY.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        byte[] expected = HexFormat.of().formatHex(mac.doFinal(body)).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, signature.getBytes(StandardCharsets.US_ASCII));
    }

    /** A string field of a flat or nested JSON text (the JDK has no JSON parser). */
    static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
        return m.find() ? m.group(1) : "?";
    }

    record Received(boolean ok, String event, String body) {}

    public static void main(String[] args) throws Exception {
        BlockingQueue<Received> received = new ArrayBlockingQueue<>(16);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/webhook", exchange -> {
            byte[] body = exchange.getRequestBody().readNBytes(1 << 20);
            String signature = exchange.getRequestHeaders().getFirst("Idenfy-Signature");
            boolean ok;
            try {
                ok = signature != null && signatureOk(body, signature);
            } catch (Exception e) {
                ok = false;
            }
            exchange.sendResponseHeaders(ok ? 200 : 401, -1);
            exchange.close();
            String event = exchange.getRequestHeaders().getFirst("Idenfy-Event-Type");
            received.offer(new Received(ok, event == null ? "?" : event, new String(body, StandardCharsets.UTF_8)));
        });
        server.start();
        int port = server.getAddress().getPort();
        try {
            String payload = "{\"clientId\":\"quickstart-java\",\"dummyStatus\":\"APPROVED\","
                    + "\"callbackUrl\":\"http://127.0.0.1:" + port + "/webhook\"}";
            String auth = Base64.getEncoder().encodeToString((API_KEY + ":" + API_SECRET).getBytes(StandardCharsets.UTF_8));
            HttpRequest request = HttpRequest.newBuilder(URI.create(BASE_URL + "/api/v2/token"))
                    .timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/json")
                    .header("Authorization", "Basic " + auth)
                    .POST(HttpRequest.BodyPublishers.ofString(payload))
                    .build();
            HttpResponse<String> response;
            try {
                response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
            } catch (java.io.IOException e) {
                System.err.println("FAIL: cannot reach " + BASE_URL + ": " + e);
                System.exit(1);
                return;
            }
            if (response.statusCode() != 201) {
                System.err.println("FAIL: POST /api/v2/token answered " + response.statusCode() + ": " + response.body());
                System.exit(1);
            }
            Received webhook = received.poll(20, TimeUnit.SECONDS);
            if (webhook == null) {
                System.err.println("FAIL: no webhook within 20 s");
                System.exit(1);
            }
            if (!webhook.ok()) {
                System.err.println("FAIL: " + webhook.event() + " webhook with a bad Idenfy-Signature");
                System.exit(1);
            }
            System.out.println(webhook.event() + " scanRef=" + field(webhook.body(), "scanRef")
                    + " overall=" + field(webhook.body(), "overall") + " signature valid");
        } finally {
            server.stop(0);
        }
    }
}
