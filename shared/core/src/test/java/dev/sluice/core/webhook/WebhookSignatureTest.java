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
}
