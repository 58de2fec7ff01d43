package dev.sluice.core;

import dev.sluice.core.SluiceException;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A page of a newest-first listing. Cursors are opaque to the user; inside they name an anchor id and a direction,
 * so pages stay correct while new resources are created (ids sort by creation time).
 */
public record PageRequest(int limit, String anchorId, boolean forward) {
    public static final int DEFAULT_LIMIT = 100;
    public static final int MAX_LIMIT = 1000;

    public static PageRequest of(String limit, String page) {
        int n = DEFAULT_LIMIT;
        if (limit != null && !limit.isBlank()) {
            try {
                n = Integer.parseInt(limit);
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n < 1 || n > MAX_LIMIT) {
                throw SluiceException.invalid("request.bad_limit", "limit must be an integer from 1 to " + MAX_LIMIT);
            }
        }
        if (page == null || page.isBlank()) {
            return new PageRequest(n, null, true);
        }
        String decoded;
        try {
            decoded = new String(Base64.getUrlDecoder().decode(page), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw SluiceException.invalid("request.bad_page", "page is not a cursor returned by a previous listing");
        }
        if (decoded.startsWith("n:")) {
            return new PageRequest(n, decoded.substring(2), true);
        }
        if (decoded.startsWith("p:")) {
            return new PageRequest(n, decoded.substring(2), false);
        }
        throw SluiceException.invalid("request.bad_page", "page is not a cursor returned by a previous listing");
    }

    public static String nextCursor(String lastId) {
        return lastId == null ? null : encode("n:" + lastId);
    }

    public static String prevCursor(String firstId) {
        return firstId == null ? null : encode("p:" + firstId);
    }

    private static String encode(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
