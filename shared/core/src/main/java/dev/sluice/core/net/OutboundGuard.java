package dev.sluice.core.net;

import java.net.Inet4Address;
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
 * host resolves to must be public: not loopback, private, link-local (169.254.169.254), carrier-grade NAT, multicast,
 * unspecified, reserved, documentation or benchmark space, unique-local IPv6, or an IPv4-mapped/compatible IPv6 of
 * those. Redirects are never followed by the clients that use it. Local mode relaxes the rules only by an explicit
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
            String why = nonPublic(address);
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

    /** null for a public unicast address; otherwise what it is. */
    static String nonPublic(InetAddress address) {
        if (address instanceof Inet6Address v6) {
            byte[] b = v6.getAddress();
            boolean mapped = true;
            for (int i = 0; i < 10; i++) {
                mapped &= b[i] == 0;
            }
            if (mapped && ((b[10] == (byte) 0xff && b[11] == (byte) 0xff) || (b[10] == 0 && b[11] == 0 && (b[12] | b[13] | b[14]) != 0))) {
                try {
                    String inner = nonPublic(InetAddress.getByAddress(new byte[]{b[12], b[13], b[14], b[15]}));
                    return inner == null ? null : "an IPv4-mapped IPv6 address of " + inner;
                } catch (UnknownHostException e) {
                    return "an invalid address";
                }
            }
            if (v6.isLoopbackAddress() || v6.isAnyLocalAddress()) {
                return "a loopback or unspecified address";
            }
            if (v6.isLinkLocalAddress() || v6.isSiteLocalAddress()) {
                return "a link-local or site-local address";
            }
            if (v6.isMulticastAddress()) {
                return "a multicast address";
            }
            if ((b[0] & 0xfe) == 0xfc) {
                return "a unique-local address (fc00::/7)";
            }
            if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && (b[3] & 0xff) == 0xb8) {
                return "a documentation address (2001:db8::/32)";
            }
            if (b[0] == 0x00 && b[1] == 0x64 && b[2] == (byte) 0xff && b[3] == (byte) 0x9b) {
                return "a NAT64 address (64:ff9b::/96)";
            }
            return null;
        }
        byte[] b = ((Inet4Address) address).getAddress();
        int a0 = b[0] & 0xff;
        int a1 = b[1] & 0xff;
        int a2 = b[2] & 0xff;
        if (a0 == 0) {
            return "an unspecified address (0.0.0.0/8)";
        }
        if (a0 == 127) {
            return "a loopback address";
        }
        if (a0 == 10 || (a0 == 172 && a1 >= 16 && a1 <= 31) || (a0 == 192 && a1 == 168)) {
            return "a private address";
        }
        if (a0 == 169 && a1 == 254) {
            return "a link-local address (instance metadata lives here)";
        }
        if (a0 == 100 && a1 >= 64 && a1 <= 127) {
            return "a carrier-grade NAT address (100.64.0.0/10)";
        }
        if (a0 == 192 && a1 == 0 && (a2 == 0 || a2 == 2)) {
            return "a special-purpose or documentation address";
        }
        if (a0 == 198 && (a1 == 18 || a1 == 19)) {
            return "a benchmarking address (198.18.0.0/15)";
        }
        if ((a0 == 198 && a1 == 51 && a2 == 100) || (a0 == 203 && a1 == 0 && a2 == 113)) {
            return "a documentation address";
        }
        if (a0 >= 224) {
            return a0 < 240 ? "a multicast address" : "a reserved or broadcast address";
        }
        return null;
    }
}
