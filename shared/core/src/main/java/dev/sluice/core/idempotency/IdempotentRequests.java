package dev.sluice.core.idempotency;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.core.Clock;
import dev.sluice.core.Json;
import dev.sluice.core.SluiceException;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * Idempotent creates (issue 24, item 5; the {@code Idempotency-Key} header of the IETF httpapi draft
 * "The Idempotency-Key HTTP Header Field", as Stripe and Perplexity use it). A create that carries a key runs once per
 * project and key within {@link #RETENTION_MILLIS} (24 h):
 * <ul>
 *   <li>the first request claims the key with one conditional write ({@link IdempotencyStore#claim}), runs, and stores
 *       its success answer (status, body, headers);</li>
 *   <li>a later request with the same key and the same fingerprint (method, route, path, query and the body as canonical JSON) gets
 *       that answer again, marked {@link Outcome#replayed()}; one that arrives while the first still runs waits for it
 *       (at most {@link #WAIT_MILLIS}, else 409 {@code request.idempotency_in_progress});</li>
 *   <li>the same key with another fingerprint is 409 {@code request.idempotency_conflict};</li>
 *   <li>a request that fails (any error answer) releases the key: nothing was created, the client may send it again.</li>
 * </ul>
 * Keys are scoped to the project (the record lives under it, and the digest names it): two projects using one key
 * never see each other's answers. The store holds the key's SHA-256 digest, never the key, and the answer sealed with
 * AES-GCM under a key derived from the project and the idempotency key, so the table alone reveals no answer (an API
 * key's secret is in its create answer).
 */
public final class IdempotentRequests {
    /** How long a key's answer is kept and replayed: 24 hours. */
    public static final long RETENTION_MILLIS = 24L * 3600 * 1000;
    /** How long a claim is held before its request is presumed dead (the API's own timeout is 29 s). */
    public static final long LOCK_MILLIS = 60_000;
    /** How long a request waits for another with its key to end before answering 409. */
    public static final long WAIT_MILLIS = 20_000;
    /** A key: 1..255 characters of letters, digits and {@code - _ . :} (a UUID fits). */
    public static final Pattern KEY = Pattern.compile("[A-Za-z0-9_.:-]{1,255}");
    /** The largest sealed answer stored (a DynamoDB item holds 400 KB). */
    static final int MAX_SEALED_CHARS = 350_000;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** An answer of the API, as stored and replayed. */
    public record Answer(int status, String body, Map<String, String> headers) {
        public Answer {
            headers = Map.copyOf(headers);
        }
    }

    /** The answer to give, and whether it is a replay of an earlier request's. */
    public record Outcome(Answer answer, boolean replayed) {
    }

    private final IdempotencyStore store;
    private final Clock clock;

    public IdempotentRequests(IdempotencyStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /**
     * Checks a key's spelling.
     *
     * @throws SluiceException 400 {@code request.bad_idempotency_key} unless it matches {@link #KEY}
     */
    public static void checkKey(String key) {
        if (key == null || !KEY.matcher(key).matches()) {
            throw SluiceException.invalid("request.bad_idempotency_key", "the Idempotency-Key header is 1 to 255"
                    + " characters of letters, digits and - _ . : (a UUID fits)");
        }
    }

    /**
     * Runs {@code create} once for this project and key.
     *
     * @param fingerprint what makes two requests the same (method, route, path, body)
     * @param create      the request's work; its answer is stored when its status is 2xx; it throws for an error
     * @throws SluiceException 400 {@code request.bad_idempotency_key}, 409 {@code request.idempotency_conflict} (same
     *                         key, other request), 409 {@code request.idempotency_in_progress} (the first request
     *                         still runs after {@link #WAIT_MILLIS}), 409 {@code request.idempotency_replay_too_large}
     *                         (the first answer was too large to keep; its resource exists)
     */
    public Outcome run(String projectId, String key, String fingerprint, Supplier<Answer> create) {
        checkKey(key);
        String digest = digest("id", projectId, key);
        String printed = digest("fingerprint", projectId, fingerprint);
        long waitUntil = clock.nowMillis() + WAIT_MILLIS;
        while (true) {
            long now = clock.nowMillis();
            Optional<IdempotencyStore.Entry> standing = store.claim(projectId, digest, printed, now,
                    now + LOCK_MILLIS, now + RETENTION_MILLIS);
            if (standing.isEmpty()) {
                return new Outcome(runClaimed(projectId, key, digest, printed, create), false);
            }
            IdempotencyStore.Entry entry = standing.get();
            if (!entry.fingerprint().equals(printed)) {
                throw SluiceException.conflict("request.idempotency_conflict", "this Idempotency-Key was used within"
                        + " 24 hours for another request (another route or body); use a new key for a new request");
            }
            if (entry.state() == IdempotencyStore.State.COMPLETED) {
                return new Outcome(unseal(projectId, key, entry.sealedResponse()), true);
            }
            if (clock.nowMillis() >= waitUntil) {
                throw SluiceException.conflict("request.idempotency_in_progress", "a request with this"
                        + " Idempotency-Key is still running; send it again in a few seconds for its answer");
            }
            pause();
        }
    }

    private Answer runClaimed(String projectId, String key, String digest, String printed, Supplier<Answer> create) {
        Answer answer;
        try {
            answer = create.get();
        } catch (RuntimeException | Error e) {
            store.release(projectId, digest, printed);
            throw e;
        }
        if (answer.status() / 100 != 2) {
            store.release(projectId, digest, printed);
            return answer;
        }
        store.complete(projectId, digest, printed, seal(projectId, key, answer));
        return answer;
    }

    /** Waits a little before reading the record again (a request in progress usually ends within a second). */
    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a request with the same Idempotency-Key", e);
        }
    }

    /** The hex SHA-256 of a purpose, the project and a text, each part length-prefixed (no two inputs collide). */
    static String digest(String purpose, String projectId, String text) {
        return HexFormat.of().formatHex(sha256(purpose, projectId, text));
    }

    private static byte[] sha256(String purpose, String projectId, String text) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (String part : new String[] {"sluice-idempotency-" + purpose, projectId, text}) {
                byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
                md.update(java.nio.ByteBuffer.allocate(4).putInt(bytes.length).array());
                md.update(bytes);
            }
            return md.digest();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The answer as JSON, deflated, then AES-256-GCM under the key's derived key: base64 of iv ‖ ciphertext. */
    static String seal(String projectId, String key, Answer answer) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("status", answer.status());
        doc.put("headers", answer.headers());
        doc.put("body", answer.body());
        byte[] plain = deflate(Json.write(doc).getBytes(StandardCharsets.UTF_8));
        byte[] iv = new byte[12];
        RANDOM.nextBytes(iv);
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(sha256("seal", projectId, key), "AES"),
                    new GCMParameterSpec(128, iv));
            byte[] sealed = cipher.doFinal(plain);
            byte[] out = new byte[iv.length + sealed.length];
            System.arraycopy(iv, 0, out, 0, iv.length);
            System.arraycopy(sealed, 0, out, iv.length, sealed.length);
            String text = Base64.getEncoder().encodeToString(out);
            if (text.length() > MAX_SEALED_CHARS) {
                // kept without its body: a replay says the resource exists and where (its Location)
                Map<String, Object> small = new LinkedHashMap<>();
                small.put("tooLarge", true);
                small.put("location", answer.headers().getOrDefault("Location", ""));
                return "plain:" + Json.write(small);
            }
            return text;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static Answer unseal(String projectId, String key, String sealed) {
        if (sealed.startsWith("plain:")) {
            JsonNode small = Json.tree(sealed.substring("plain:".length()));
            throw SluiceException.conflict("request.idempotency_replay_too_large", "the request with this"
                    + " Idempotency-Key succeeded but its answer was too large to keep; the resource is at "
                    + small.path("location").asText());
        }
        byte[] in = Base64.getDecoder().decode(sealed);
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(sha256("seal", projectId, key), "AES"),
                    new GCMParameterSpec(128, in, 0, 12));
            JsonNode doc = Json.tree(new String(inflate(cipher.doFinal(in, 12, in.length - 12)), StandardCharsets.UTF_8));
            Map<String, String> headers = new LinkedHashMap<>();
            doc.path("headers").fields().forEachRemaining(e -> headers.put(e.getKey(), e.getValue().asText()));
            return new Answer(doc.path("status").asInt(), doc.path("body").asText(), headers);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("a stored idempotent answer does not open with its key", e);
        }
    }

    private static byte[] deflate(byte[] bytes) {
        Deflater deflater = new Deflater(Deflater.BEST_SPEED);
        try {
            deflater.setInput(bytes);
            deflater.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, bytes.length / 4));
            byte[] buffer = new byte[8192];
            while (!deflater.finished()) {
                out.write(buffer, 0, deflater.deflate(buffer));
            }
            return out.toByteArray();
        } finally {
            deflater.end();
        }
    }

    private static byte[] inflate(byte[] bytes) {
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(bytes);
            ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length * 4);
            byte[] buffer = new byte[8192];
            while (!inflater.finished()) {
                int n = inflater.inflate(buffer);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    throw new IllegalStateException("a stored idempotent answer is truncated");
                }
                out.write(buffer, 0, n);
            }
            return out.toByteArray();
        } catch (DataFormatException e) {
            throw new IllegalStateException("a stored idempotent answer is not deflated", e);
        } finally {
            inflater.end();
        }
    }
}
