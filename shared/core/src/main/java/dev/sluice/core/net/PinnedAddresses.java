package dev.sluice.core.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.spi.InetAddressResolver;
import java.net.spi.InetAddressResolverProvider;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Closes the DNS-rebinding window: the addresses {@link OutboundGuard} checked for a host are pinned, and this JVM's
 * name resolution (installed as the {@link InetAddressResolverProvider} through META-INF/services) answers with
 * them while the pin lasts, so the HTTP client connects to an address that was checked, never to a second, different
 * DNS answer. Every pin was checked; a host that was never checked resolves as usual (the AWS SDK's endpoints).
 */
public final class PinnedAddresses extends InetAddressResolverProvider {
    /** Long enough to cover a check and the connection right after it; every check pins afresh. */
    static final long PIN_MILLIS = 5 * 60_000;
    private static final int MAX_PINS = 100_000;
    private static final Map<String, Pin> PINS = new ConcurrentHashMap<>();
    private static volatile InetAddressResolver builtin;

    private record Pin(List<InetAddress> addresses, long until) {
    }

    /** True when this JVM resolves names through the pins (false where the provider could not be installed). */
    public static boolean active() {
        if (builtin == null) {
            try {
                InetAddress.getAllByName("localhost"); // the platform installs its resolver at the first lookup
            } catch (UnknownHostException e) {
                // nothing to learn here
            }
        }
        return builtin != null;
    }

    static void pin(String host, List<InetAddress> addresses) {
        if (PINS.size() >= MAX_PINS) {
            long now = System.currentTimeMillis();
            PINS.values().removeIf(p -> p.until < now);
        }
        PINS.put(host.toLowerCase(Locale.ROOT), new Pin(List.copyOf(addresses), System.currentTimeMillis() + PIN_MILLIS));
    }

    static List<InetAddress> pinned(String host) {
        Pin pin = PINS.get(host.toLowerCase(Locale.ROOT));
        return pin == null || pin.until < System.currentTimeMillis() ? null : pin.addresses;
    }

    /** The platform's own resolution, bypassing the pins: what the guard checks. */
    static List<InetAddress> resolveFresh(String host) throws UnknownHostException {
        InetAddressResolver platform = builtin;
        if (platform == null) {
            return List.of(InetAddress.getAllByName(host));
        }
        return platform.lookupByName(host, InetAddressResolver.LookupPolicy.of(
                InetAddressResolver.LookupPolicy.IPV4 | InetAddressResolver.LookupPolicy.IPV6)).toList();
    }

    @Override
    public InetAddressResolver get(Configuration configuration) {
        InetAddressResolver platform = configuration.builtinResolver();
        builtin = platform;
        return new InetAddressResolver() {
            @Override
            public Stream<InetAddress> lookupByName(String host, LookupPolicy policy) throws UnknownHostException {
                List<InetAddress> pinned = pinned(host);
                if (pinned == null) {
                    return platform.lookupByName(host, policy);
                }
                int c = policy.characteristics();
                boolean v4 = (c & LookupPolicy.IPV4) != 0;
                boolean v6 = (c & LookupPolicy.IPV6) != 0;
                List<InetAddress> allowed = pinned.stream()
                        .filter(a -> (a instanceof Inet4Address && v4) || (a instanceof Inet6Address && v6)).toList();
                if (allowed.isEmpty()) {
                    throw new UnknownHostException(host + ": no checked address of the asked family");
                }
                return allowed.stream();
            }

            @Override
            public String lookupByAddress(byte[] address) throws UnknownHostException {
                return platform.lookupByAddress(address);
            }
        };
    }

    @Override
    public String name() {
        return "sluice-pinned-addresses";
    }
}
