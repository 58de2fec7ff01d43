package dev.sluice.core.webhook;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The Datature webhook signature: HMAC-SHA256, keyed with the base64-decoded secret, over
 * {@code Datature-Webhook-Request-ID={id}&Datature-Webhook-Request-Time={time}&RawBody={body}}, hex-encoded.
 */
public final class WebhookSignature {
    public static final String SIGNATURE_HEADER = "Datature-Webhook-Signature";
    public static final String REQUEST_ID_HEADER = "Datature-Webhook-Request-ID";
    public static final String REQUEST_TIME_HEADER = "Datature-Webhook-Request-Time";

    private WebhookSignature() {
    }

    public static String newSecret() {
        return Base64.getEncoder().encodeToString(dev.sluice.core.Ids.randomBytes(32));
    }

    public static String sign(String secret, String requestId, String requestTime, String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret), "HmacSHA256"));
            String message = "Datature-Webhook-Request-ID=" + requestId + "&Datature-Webhook-Request-Time="
                    + requestTime + "&RawBody=" + body;
            return HexFormat.of().formatHex(mac.doFinal(message.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /** The three headers of a signed request. */
    public static java.util.Map<String, String> headers(String secret, String requestId, String requestTime, String body) {
        return java.util.Map.of(SIGNATURE_HEADER, sign(secret, requestId, requestTime, body),
                REQUEST_ID_HEADER, requestId, REQUEST_TIME_HEADER, requestTime);
    }

    /** The receiver's check, as verify_signature in the reference document (constant-time comparison). */
    public static boolean verify(String secret, String signature, String requestId, String requestTime, String body) {
        if (signature == null || requestId == null || requestTime == null) {
            return false;
        }
        byte[] expected = sign(secret, requestId, requestTime, body).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, signature.getBytes(StandardCharsets.US_ASCII));
    }
}
