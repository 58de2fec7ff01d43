package dev.sluice.core;

import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Prefixed, opaque ids that sort by creation time: {@code batchjob_<12 hex ms><16 hex random>}.
 * Sorting by id is sorting by creation time, which is what cursor pagination relies on.
 */
public final class Ids {
    public static final String JOB = "batchjob";
    public static final String DATASET = "dataset";
    public static final String WEBHOOK = "webhook";
    public static final String MODEL = "model";
    public static final String EXECUTION = "execution";
    public static final String PROJECT = "proj";

    private static final SecureRandom RANDOM = new SecureRandom();

    private Ids() {
    }

    public static String newId(String prefix, long nowMillis) {
        byte[] random = new byte[8];
        RANDOM.nextBytes(random);
        return prefix + "_" + String.format("%012x", nowMillis) + HexFormat.of().formatHex(random);
    }

    public static boolean hasPrefix(String id, String prefix) {
        return id != null && id.startsWith(prefix + "_") && id.length() <= 128
                && id.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '_' || c == '-');
    }

    public static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    /** SHA-256 of the UTF-8 text, as lower-case hex. */
    public static String sha256Hex(String text) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
