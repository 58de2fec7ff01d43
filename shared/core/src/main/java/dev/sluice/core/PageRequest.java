package dev.sluice.core;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * A page of a newest-first listing. Cursors are opaque to the user; inside they name the listing they belong to (the
 * kind and the project, or the execution of a report), a direction and an anchor id, so pages stay correct while new
 * resources are created (ids sort by creation time).
 *
 * <p>A cursor is verifiable without a key: the store that serves a page checks the cursor's listing against the
 * request's ({@link #anchorIn}) and the anchor's shape against the listing's ids, so a crafted cursor can only name a
 * position inside the caller's own listing of that kind, which any real cursor does too. Anything else answers 400
 * {@code request.bad_cursor} (issue 20 item 7), never a 500 nor another listing's records.
 *
 * @param listing the listing the cursor was handed out by; null on a first page
 */
public record PageRequest(int limit, String anchorId, boolean forward, String listing) {
    public static final int DEFAULT_LIMIT = 100;
    public static final int MAX_LIMIT = 1000;
    /** The code of every cursor that is not one a listing handed out. */
    public static final String BAD_CURSOR = "request.bad_cursor";
    private static final int MAX_CURSOR_CHARS = 1024;
    private static final Pattern ANCHOR = Pattern.compile("[A-Za-z0-9_-]{1,200}");

    /** A first page. */
    public PageRequest(int limit, String anchorId, boolean forward) {
        this(limit, anchorId, forward, null);
    }

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
        if (page == null || page.isEmpty()) {
            return new PageRequest(n, null, true, null);
        }
        String decoded = decode(page);
        // v1|<listing>|<n or p>|<anchor>; the listing itself may hold no '|'
        String[] parts = decoded.split("\\|", -1);
        if (parts.length != 4 || !parts[0].equals("v1") || parts[1].isEmpty()
                || !(parts[2].equals("n") || parts[2].equals("p")) || !ANCHOR.matcher(parts[3]).matches()) {
            throw badCursor();
        }
        return new PageRequest(n, parts[3], parts[2].equals("n"), parts[1]);
    }

    /**
     * The anchor id when this page continues the listing {@code listing} and the anchor is one of its ids (starts with
     * {@code idPrefix}); null on a first page.
     *
     * @throws SluiceException 400 {@code request.bad_cursor} for a cursor of another listing, kind or project
     */
    public String anchorIn(String listing, String idPrefix) {
        if (anchorId == null) {
            return null;
        }
        if (!listing.equals(this.listing) || !anchorId.startsWith(idPrefix) || anchorId.length() == idPrefix.length()) {
            throw badCursor();
        }
        return anchorId;
    }

    /** The cursor of the page after the one that ends at {@code lastId}, in the listing {@code listing}. */
    public static String nextCursor(String listing, String lastId) {
        return lastId == null ? null : encode("v1|" + listing + "|n|" + lastId);
    }

    /** The cursor of the page before the one that starts at {@code firstId}, in the listing {@code listing}. */
    public static String prevCursor(String listing, String firstId) {
        return firstId == null ? null : encode("v1|" + listing + "|p|" + firstId);
    }

    /** 400 {@code request.bad_cursor} naming the {@code page} parameter. */
    public static SluiceException badCursor() {
        return badCursor("page");
    }

    /** 400 {@code request.bad_cursor} naming the query parameter that carried it ({@code after} of a job's items). */
    public static SluiceException badCursor(String parameter) {
        return SluiceException.invalid(BAD_CURSOR, parameter + " is not a cursor this listing handed out; start again"
                + " without " + parameter);
    }

    /** The text inside a cursor (base64url), or 400 {@code request.bad_cursor}. */
    public static String decode(String cursor) {
        if (cursor.length() > MAX_CURSOR_CHARS) {
            throw badCursor();
        }
        try {
            byte[] bytes = Base64.getUrlDecoder().decode(cursor);
            java.nio.charset.CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder();
            return utf8.decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (IllegalArgumentException | java.nio.charset.CharacterCodingException e) {
            throw badCursor();
        }
    }

    /** A cursor (base64url without padding) for the text. */
    public static String encode(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
