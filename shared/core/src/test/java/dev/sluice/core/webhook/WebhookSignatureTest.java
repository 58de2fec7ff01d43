package dev.sluice.core.webhook;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WebhookSignatureTest {
    // The expected value was computed with the reference receiver's Python: hmac.digest(b64decode(secret), message, "sha256")
    static final String SECRET = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    @Test
    void signature_matchesTheReferenceReceiver() {
        assertEquals("2da4df5ca38776c14e24351b09776dd48fa43afe22913dce16e818dcc55f10e1",
                WebhookSignature.sign(SECRET, "req-1", "1723734419985", "{\"a\":1}"));
    }

    @Test
    void verify_refusesAChangedBodyTimeOrId() {
        String sig = WebhookSignature.sign(SECRET, "req-1", "1723734419985", "{\"a\":1}");
        assertTrue(WebhookSignature.verify(SECRET, sig, "req-1", "1723734419985", "{\"a\":1}"));
        assertFalse(WebhookSignature.verify(SECRET, sig, "req-1", "1723734419985", "{\"a\":2}"));
        assertFalse(WebhookSignature.verify(SECRET, sig, "req-1", "1723734419986", "{\"a\":1}"));
        assertFalse(WebhookSignature.verify(SECRET, sig, "req-2", "1723734419985", "{\"a\":1}"));
        assertFalse(WebhookSignature.verify(SECRET, null, "req-1", "1723734419985", "{\"a\":1}"));
    }

    @Test
    void newSecret_is32RandomBytesInBase64() {
        assertEquals(32, java.util.Base64.getDecoder().decode(WebhookSignature.newSecret()).length);
        assertFalse(WebhookSignature.newSecret().equals(WebhookSignature.newSecret()));
    }

    /** The reference receiver's own verify_signature (seed document 000), run by Python when the machine has it. */
    static final String VERIFY_SIGNATURE_PY = """
            import base64, binascii, hmac, json, sys
            def verify_signature(secret_key, headers, body):
                secret_key_bytes = base64.b64decode(secret_key)
                received_signature = headers["datature-webhook-signature"].encode("ascii")
                request_id = headers["datature-webhook-request-id"]
                request_time = headers["datature-webhook-request-time"]
                message = (f"Datature-Webhook-Request-ID={request_id}&"
                           f"Datature-Webhook-Request-Time={request_time}&"
                           f"RawBody={body}").encode("utf-8")
                calculated_signature = binascii.hexlify(hmac.digest(secret_key_bytes, message, "sha256"))
                return hmac.compare_digest(calculated_signature, received_signature)
            case = json.load(sys.stdin)
            print("ok" if verify_signature(case["secret"], case["headers"], case["body"]) else "bad")
            """;

    @Test
    void signature_verifiesWithTheReferenceReceiversPython() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(python() != null, "python3 is not on this machine");
        String secret = WebhookSignature.newSecret();
        String body = "{\"jobId\":\"batchjob_1\",\"item\":{\"index\":3,\"url\":\"https://ex.com/ä.jpg\"},\"prediction\":{}}";
        String id = "3f1c2a8e-0000-4000-8000-000000000001";
        String time = "1795453200123";
        java.util.Map<String, Object> testCase = java.util.Map.of("secret", secret, "body", body, "headers", java.util.Map.of(
                "datature-webhook-signature", WebhookSignature.sign(secret, id, time, body),
                "datature-webhook-request-id", id, "datature-webhook-request-time", time));
        Process p = new ProcessBuilder(python(), "-c", VERIFY_SIGNATURE_PY).redirectErrorStream(true).start();
        try (var in = p.getOutputStream()) {
            in.write(dev.sluice.core.Json.write(testCase).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        String answer = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
        p.waitFor();
        assertEquals("ok", answer);
    }

    private static String python() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            java.nio.file.Path candidate = java.nio.file.Path.of(dir, "python3");
            if (java.nio.file.Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }
}
