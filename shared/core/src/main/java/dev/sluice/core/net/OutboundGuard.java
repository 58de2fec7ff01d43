package dev.sluice.core.net;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Decides whether Sluice may send a request to a URL given by a user (an item URL, a webhook endpoint): HTTPS only,
 * a host name or a plain dotted IPv4 / bracketed IPv6 (no decimal, octal or hex spellings), and every address the
 * host resolves to must be globally reachable: nothing of the IANA special-purpose registries that is not (loopback,
 * private, link-local 169.254.169.254, carrier-grade NAT, documentation, benchmarking, reserved, multicast,
 * unique-local, the 6to4 and Teredo transition ranges, IPv4-mapped, -compatible and -translated IPv6, discard-only;
 * see {@link #IPV4_REFUSED} and {@link #IPV6_REFUSED}; an IPv6 form that embeds an IPv4 address is refused whatever
 * that address, the refusal naming it). Redirects are never followed by the clients that use it. Local mode relaxes the rules only by an explicit
 * setting.
 *
 * <p>The check resolves the name with the platform's resolver and pins the addresses it approved
 * ({@link PinnedAddresses}); the HTTP client's own resolution then gets exactly those, so a DNS answer that changes
 * between the check and the connection (rebinding) cannot send the request anywhere unchecked.
 */
public final class OutboundGuard {
    /** Resolves a host name; tests give one they control. */
    @FunctionalInterface
    public interface Resolver {
        List<InetAddress> resolve(String host) throws UnknownHostException;

        Resolver SYSTEM = PinnedAddresses::resolveFresh;
    }

    /** Why a URL is refused: a stable code and a reason a user can act on. */
    public record Refusal(String code, String reason) {
    }

    private static final Pattern DOTTED_QUAD = Pattern.compile("^(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}$");
    private static final Pattern NUMERIC_HOST = Pattern.compile("^[0-9a-fx.]+$");

    private final Resolver resolver;
    private final boolean allowLocal;

    /** @param allowLocal local mode only: http:// and loopback hosts are allowed */
    public OutboundGuard(Resolver resolver, boolean allowLocal) {
        this.resolver = resolver;
        this.allowLocal = allowLocal;
    }

    /** null when the URL may be fetched; otherwise why not. */
    public Refusal check(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (java.net.URISyntaxException e) {
            return new Refusal("url.invalid", "the URL is not valid: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !(allowLocal && scheme.equals("http"))) {
            return new Refusal("url.scheme_refused", "only https:// URLs are fetched (got " + (scheme.isEmpty() ? "none" : scheme) + ")");
        }
        if (uri.getRawUserInfo() != null) {
            return new Refusal("url.userinfo_refused", "URLs with user:password@ are refused");
        }
        String host = uri.getHost();
        if (host == null && uri.getRawAuthority() != null) {
            // java.net.URI gives no host for spellings like 127.1 or 0x7f.0.0.1: judge the authority's host part
            String authority = uri.getRawAuthority();
            host = authority.replaceFirst("^.*@", "").replaceFirst(":\\d*$", "");
        }
        if (host == null || host.isEmpty()) {
            return new Refusal("url.no_host", "the URL has no host");
        }
        host = host.toLowerCase(Locale.ROOT);
        if (host.length() > 1 && host.endsWith(".") && !host.startsWith("[")) {
            host = host.substring(0, host.length() - 1); // example.com. is example.com (see normalise)
        }
        boolean bracketed = host.startsWith("[");
        if (!bracketed && NUMERIC_HOST.matcher(host).matches() && !DOTTED_QUAD.matcher(host).matches()) {
            return new Refusal("url.ip_spelling_refused", "the host " + host
                    + " spells an IP address in a decimal, octal or hex form; write a host name");
        }
        if (allowLocal) {
            return null;
        }
        List<InetAddress> addresses;
        try {
            addresses = resolver.resolve(bracketed ? host.substring(1, host.length() - 1) : host);
        } catch (UnknownHostException e) {
            return new Refusal("url.unresolvable", "the host " + host + " does not resolve");
        }
        if (addresses.isEmpty()) {
            return new Refusal("url.unresolvable", "the host " + host + " does not resolve");
        }
        for (InetAddress address : addresses) {
            String why = bracketed && !(address instanceof Inet6Address)
                    ? "an IPv4-mapped address (::ffff:0:0/96, RFC 4291)" : nonPublic(address);
            if (why != null) {
                return new Refusal("url.address_refused", "the host " + host + " resolves to " + address.getHostAddress()
                        + ", " + why + "; only public addresses are reached");
            }
        }
        if (!bracketed && !DOTTED_QUAD.matcher(host).matches()) {
            PinnedAddresses.pin(host, addresses);
        }
        return null;
    }

    /**
     * A range that is not globally reachable, with what it is and where that is written. The tables follow the IANA
     * special-purpose address registries (RFC 6890): every entry whose "Globally Reachable" is False or N/A, plus
     * multicast and the deprecated ranges, as of 2026-11 —
     * https://www.iana.org/assignments/iana-ipv4-special-registry/ and
     * https://www.iana.org/assignments/iana-ipv6-special-registry/. A block with a few globally reachable anycast
     * entries inside it (192.0.0.0/24, 2001::/23) is refused whole: no item host or webhook receiver lives there.
     */
    record Range(byte[] prefix, int bits, String what) {
        static Range of(String cidr, String what) {
            int slash = cidr.indexOf('/');
            try {
                String text = cidr.substring(0, slash);
                byte[] prefix = InetAddress.getByName(text).getAddress();
                if (text.contains(":") && prefix.length == 4) { // the JDK parses ::ffff:0:0 as 0.0.0.0: keep it IPv6
                    byte[] v6 = new byte[16];
                    v6[10] = (byte) 0xff;
                    v6[11] = (byte) 0xff;
                    System.arraycopy(prefix, 0, v6, 12, 4);
                    prefix = v6;
                }
                return new Range(prefix, Integer.parseInt(cidr.substring(slash + 1)), what + " (" + cidr + ")");
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException(cidr, e);
            }
        }

        boolean contains(byte[] address) {
            if (address.length != prefix.length) {
                return false;
            }
            int full = bits / 8;
            for (int i = 0; i < full; i++) {
                if (address[i] != prefix[i]) {
                    return false;
                }
            }
            int rest = bits % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return (address[full] & mask) == (prefix[full] & mask);
        }
    }

    /**
     * The origin of a URL, {@code scheme://host:port} (port -1 when the URL gives none; for {@code s3://bucket/key} the
     * bucket): what per-host accounting keys on (webhook endpoints in flight, item hosts that answer). A string that
     * is not a URI is its own key.
     */
    public static String origin(String url) {
        try {
            java.net.URI uri = java.net.URI.create(url);
            return uri.getScheme() + "://" + uri.getHost() + ":" + uri.getPort();
        } catch (IllegalArgumentException e) {
            return url;
        }
    }

    static final List<Range> IPV4_REFUSED = List.of(
            Range.of("0.0.0.0/8", "an unspecified address, \"this network\" (RFC 791)"),
            Range.of("10.0.0.0/8", "a private address (RFC 1918)"),
            Range.of("100.64.0.0/10", "a carrier-grade NAT address (RFC 6598)"),
            Range.of("127.0.0.0/8", "a loopback address (RFC 1122)"),
            Range.of("169.254.0.0/16", "a link-local address, where instance metadata lives (RFC 3927)"),
            Range.of("172.16.0.0/12", "a private address (RFC 1918)"),
            Range.of("192.0.0.0/24", "an IETF protocol assignment (RFC 6890)"),
            Range.of("192.0.2.0/24", "a documentation address, TEST-NET-1 (RFC 5737)"),
            Range.of("192.88.99.0/24", "a deprecated 6to4 relay anycast address (RFC 7526)"),
            Range.of("192.168.0.0/16", "a private address (RFC 1918)"),
            Range.of("198.18.0.0/15", "a benchmarking address (RFC 2544)"),
            Range.of("198.51.100.0/24", "a documentation address, TEST-NET-2 (RFC 5737)"),
            Range.of("203.0.113.0/24", "a documentation address, TEST-NET-3 (RFC 5737)"),
            Range.of("224.0.0.0/4", "a multicast address (RFC 5771)"),
            Range.of("240.0.0.0/4", "a reserved address (RFC 1112)"),
            Range.of("255.255.255.255/32", "the limited broadcast address (RFC 919)"));

    /**
     * IPv4-mapped addresses (::ffff:0:0/96, RFC 4291) are here although {@code InetAddress.getByName} turns a literal
     * into its IPv4 address: the platform resolver the guard asks ({@link Resolver#SYSTEM}, getaddrinfo) answers an
     * {@code Inet6Address} with the mapped bytes for {@code ::ffff:127.0.0.1}, and the HTTP client then connects to
     * 127.0.0.1. Every range that embeds an IPv4 address is refused whole, and the refusal names the embedded address
     * and its class ({@link #embeddedIpv4}).
     */
    static final List<Range> IPV6_REFUSED = List.of(
            Range.of("::/128", "the unspecified address (RFC 4291)"),
            Range.of("::1/128", "the loopback address (RFC 4291)"),
            Range.of("::ffff:0:0/96", "an IPv4-mapped address (RFC 4291)"),
            Range.of("::/96", "a deprecated IPv4-compatible address (RFC 4291)"),
            Range.of("::ffff:0:0:0/96", "an IPv4-translated address (RFC 2765)"),
            Range.of("64:ff9b::/96", "a NAT64 address that reaches IPv4 through a translator (RFC 6052)"),
            Range.of("64:ff9b:1::/48", "a local-use NAT64 address (RFC 8215)"),
            Range.of("100::/64", "a discard-only address (RFC 6666)"),
            Range.of("100:0:0:1::/64", "a dummy IPv6 prefix (RFC 9780)"),
            Range.of("2001::/32", "a Teredo tunnel address (RFC 4380)"),
            Range.of("2001::/23", "an IETF protocol assignment (RFC 2928)"),
            Range.of("2001:db8::/32", "a documentation address (RFC 3849)"),
            Range.of("2002::/16", "a 6to4 tunnel address (RFC 3056)"),
            Range.of("3fff::/20", "a documentation address (RFC 9637)"),
            Range.of("5f00::/16", "a segment-routing SID (RFC 9602)"),
            Range.of("fc00::/7", "a unique-local address (RFC 4193)"),
            Range.of("fe80::/10", "a link-local address (RFC 4291)"),
            Range.of("fec0::/10", "a deprecated site-local address (RFC 3879)"),
            Range.of("ff00::/8", "a multicast address (RFC 4291)"));

    /**
     * null for a globally reachable unicast address; otherwise what it is (with its range and RFC), and for an IPv6
     * address that embeds an IPv4 address, that address and its class ("an IPv4-mapped address (::ffff:0:0/96, RFC
     * 4291) embedding 127.0.0.1, a loopback address (127.0.0.0/8, RFC 1122)").
     */
    static String nonPublic(InetAddress address) {
        byte[] b = address.getAddress();
        for (Range range : address instanceof Inet6Address ? IPV6_REFUSED : IPV4_REFUSED) {
            if (range.contains(b)) {
                byte[] v4 = b.length == 16 && range.bits() < 128 ? embeddedIpv4(b) : null;
                if (v4 == null) {
                    return range.what();
                }
                String inner = nonPublicIpv4(v4);
                return range.what() + " embedding " + dotted(v4) + (inner == null ? "" : ", " + inner);
            }
        }
        return null;
    }

    private static String nonPublicIpv4(byte[] v4) {
        for (Range range : IPV4_REFUSED) {
            if (range.contains(v4)) {
                return range.what();
            }
        }
        return null;
    }

    /**
     * The IPv4 address an IPv6 address carries, or null: the low 32 bits of IPv4-mapped (::ffff:0:0/96) and
     * -compatible (::/96) addresses (RFC 4291 §2.5.5), IPv4-translated ones (::ffff:0:0:0/96, RFC 2765 §2.1) and
     * NAT64 ones (64:ff9b::/96 and 64:ff9b:1::/48 at its /96 layout, RFC 6052 §2.2); bits 16–47 of 6to4 (2002::/16,
     * RFC 3056 §2); the client's address of Teredo (2001::/32, RFC 4380 §4: the low 32 bits inverted).
     *
     * @param v6 16 bytes
     */
    static byte[] embeddedIpv4(byte[] v6) {
        if (v6.length != 16) {
            return null;
        }
        boolean zero80 = allZero(v6, 0, 10);
        if ((zero80 && ((v6[10] & v6[11] & 0xff) == 0xff || (v6[10] | v6[11]) == 0)) // mapped, compatible
                || (allZero(v6, 0, 8) && (v6[8] & v6[9] & 0xff) == 0xff && (v6[10] | v6[11]) == 0) // translated
                || (v6[0] == 0 && v6[1] == 0x64 && (v6[2] & 0xff) == 0xff && (v6[3] & 0xff) == 0x9b)) { // NAT64
            return java.util.Arrays.copyOfRange(v6, 12, 16);
        }
        if (v6[0] == 0x20 && v6[1] == 0x02) { // 6to4
            return java.util.Arrays.copyOfRange(v6, 2, 6);
        }
        if (v6[0] == 0x20 && v6[1] == 0x01 && v6[2] == 0 && v6[3] == 0) { // Teredo
            byte[] client = java.util.Arrays.copyOfRange(v6, 12, 16);
            for (int i = 0; i < 4; i++) {
                client[i] = (byte) ~client[i];
            }
            return client;
        }
        return null;
    }

    private static boolean allZero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static String dotted(byte[] v4) {
        return (v4[0] & 0xff) + "." + (v4[1] & 0xff) + "." + (v4[2] & 0xff) + "." + (v4[3] & 0xff);
    }

    /**
     * The URL with a trailing dot of its host removed ({@code https://example.com./hook} →
     * {@code https://example.com/hook}): the same fully qualified name, in the form TLS server names (SNI, RFC 6066
     * §3: "without a trailing dot") and certificates use. Anything else is returned as it was.
     */
    public static String normalise(String url) {
        if (url == null) {
            return null;
        }
        java.util.regex.Matcher m = TRAILING_DOT_HOST.matcher(url);
        return m.find() ? url.substring(0, m.end(1)) + url.substring(m.end(1) + 1) : url;
    }

    private static final Pattern TRAILING_DOT_HOST =
            Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/@?#]*@)?([^/@?#:\\[\\]]*[^/@?#:.\\[\\]])\\.(?=[:/?#]|$)");
}
