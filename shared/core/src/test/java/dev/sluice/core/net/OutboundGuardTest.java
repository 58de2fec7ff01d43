package dev.sluice.core.net;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hostile URLs against the guard, with a resolver the test controls (no network). */
class OutboundGuardTest {
    static final Map<String, String> DNS = Map.ofEntries(
            Map.entry("images.example.com", "93.184.216.34"),
            Map.entry("metadata.evil.example", "169.254.169.254"),
            Map.entry("internal.evil.example", "10.0.0.7"),
            Map.entry("rebind.evil.example", "127.0.0.1"),
            Map.entry("cgnat.evil.example", "100.64.1.1"),
            Map.entry("v6.example.com", "2606:2800:220:1:248:1893:25c8:1946"),
            Map.entry("mapped.evil.example", "::ffff:10.1.2.3"),
            Map.entry("ula.evil.example", "fd00::1"),
            Map.entry("sixtofour.evil.example", "2002:a00:1::1"),
            Map.entry("teredo.evil.example", "2001:0:4136:e378:8000:63bf:3fff:fdd2"));

    static final OutboundGuard GUARD = new OutboundGuard(host -> {
        String ip = DNS.get(host);
        if (ip == null) {
            if (host.matches("[0-9.:a-f]+")) {
                return List.of(InetAddress.getByName(host)); // an IP literal: no lookup happens
            }
            throw new UnknownHostException(host);
        }
        return List.of(InetAddress.getByName(ip));
    }, false);

    @Test
    void aPublicHttpsUrl_isAllowed() {
        assertNull(GUARD.check("https://images.example.com/photos/1.jpg"));
        assertNull(GUARD.check("https://v6.example.com/a.png"));
        assertNull(GUARD.check("https://93.184.216.34/a.png"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "http://images.example.com/a.jpg|url.scheme_refused",
            "ftp://images.example.com/a.jpg|url.scheme_refused",
            "file:///etc/passwd|url.scheme_refused",
            "gopher://images.example.com/|url.scheme_refused",
            "https://user:pw@images.example.com/|url.userinfo_refused",
            "https:///nohost|url.no_host",
            "https://127.0.0.1/|url.address_refused",
            "https://localhost.localdomain.invalid/|url.unresolvable",
            "https://10.0.0.1/|url.address_refused",
            "https://172.16.5.4/|url.address_refused",
            "https://192.168.1.1/|url.address_refused",
            "https://169.254.169.254/latest/meta-data/|url.address_refused",
            "https://169.254.170.2/v2/credentials|url.address_refused",
            "https://100.64.0.1/|url.address_refused",
            "https://0.0.0.0/|url.address_refused",
            "https://224.0.0.1/|url.address_refused",
            "https://255.255.255.255/|url.address_refused",
            "https://198.18.0.1/|url.address_refused",
            "https://[::1]/|url.address_refused",
            "https://[::ffff:127.0.0.1]/|url.address_refused",
            "https://[::ffff:a9fe:a9fe]/|url.address_refused",
            "https://[fd00::1]/|url.address_refused",
            "https://[fe80::1]/|url.address_refused",
            "https://2130706433/|url.ip_spelling_refused",
            "https://0177.0.0.1/|url.ip_spelling_refused",
            "https://0x7f.0.0.1/|url.ip_spelling_refused",
            "https://0x7f000001/|url.ip_spelling_refused",
            "https://017700000001/|url.ip_spelling_refused",
            "https://127.1/|url.ip_spelling_refused",
            "https://metadata.evil.example/latest|url.address_refused",
            "https://internal.evil.example/|url.address_refused",
            "https://rebind.evil.example/|url.address_refused",
            "https://cgnat.evil.example/|url.address_refused",
            "https://mapped.evil.example/|url.address_refused",
            "https://ula.evil.example/|url.address_refused",
            "https://no-such-host.invalid/|url.unresolvable",
            // IPv6 transition and special-purpose ranges (IANA registries; see OutboundGuard.IPV6_REFUSED)
            "https://[2002:7f00:1::1]/|url.address_refused",
            "https://[2002:808:808::1]/|url.address_refused",
            "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/|url.address_refused",
            "https://[::ffff:0:0]/|url.address_refused",
            "https://[::ffff:8.8.8.8]/|url.address_refused",
            "https://[::ffff:0:7f00:1]/|url.address_refused",
            "https://[::7f00:1]/|url.address_refused",
            "https://[100::1]/|url.address_refused",
            "https://[100::ffff:ffff:ffff:ffff]/|url.address_refused",
            "https://[64:ff9b:1::a00:1]/|url.address_refused",
            "https://[2001:2::1]/|url.address_refused",
            "https://[3fff::1]/|url.address_refused",
            "https://[5f00::1]/|url.address_refused",
            "https://[fec0::1]/|url.address_refused",
            "https://[ff02::1]/|url.address_refused",
            "https://192.88.99.1/|url.address_refused",
            "https://192.0.0.8/|url.address_refused",
            "https://198.51.100.7/|url.address_refused",
            "https://240.1.2.3/|url.address_refused",
            "https://sixtofour.evil.example/|url.address_refused",
            "https://teredo.evil.example/|url.address_refused",
    })
    void hostileUrl_isRefusedWithItsReason(String url, String code) {
        OutboundGuard.Refusal refusal = GUARD.check(url);
        assertNotNull(refusal, url + " must be refused");
        assertEquals(code, refusal.code(), url + ": " + refusal.reason());
    }

    @Test
    void publicAddressesNextToTheRefusedRanges_areAllowed() {
        for (String url : List.of("https://[2001:4860:4860::8888]/", "https://[2003::1]/", "https://[2001:200::1]/",
                "https://192.88.100.1/", "https://192.0.3.1/", "https://100.128.0.1/", "https://[101::1]/",
                "https://[2606:4700:4700::1111]/")) {
            assertNull(GUARD.check(url), url);
        }
    }

    @Test
    void everyIanaRange_isParsedAtItsFullLength() {
        OutboundGuard.IPV4_REFUSED.forEach(r -> assertEquals(4, r.prefix().length, r.what()));
        OutboundGuard.IPV6_REFUSED.forEach(r -> assertEquals(16, r.prefix().length, r.what()));
    }

    @Test
    void aTrailingDotHost_isTheSameName() {
        assertEquals("https://example.com/hook", OutboundGuard.normalise("https://example.com./hook"));
        assertEquals("https://example.com:8443/h?q=1", OutboundGuard.normalise("https://example.com.:8443/h?q=1"));
        assertEquals("https://u@example.com", OutboundGuard.normalise("https://u@example.com."));
        assertEquals("https://example.com/a.b./c.", OutboundGuard.normalise("https://example.com/a.b./c."));
        assertEquals("https://example.com../x", OutboundGuard.normalise("https://example.com../x"));
        assertNull(GUARD.check("https://images.example.com./photos/1.jpg"));
        assertEquals("url.address_refused", GUARD.check("https://metadata.evil.example./latest").code());
    }

    @Test
    void localMode_allowsLoopbackHttp_butStillRefusesOddIpSpellings() {
        OutboundGuard local = new OutboundGuard(OutboundGuard.Resolver.SYSTEM, true);
        assertNull(local.check("http://127.0.0.1:8080/a.jpg"));
        assertEquals("url.ip_spelling_refused", local.check("http://2130706433/").code());
    }

    @Test
    void itemFetchesAndWebhookPosts_goThroughTheGuard_andARefusalIsNotRetried() {
        var fetcher = new dev.sluice.core.inference.ItemFetcher(null, java.time.Duration.ofSeconds(1),
                java.time.Duration.ofSeconds(1), 1024, false, GUARD, dev.sluice.core.AllowedBuckets.none("data"));
        var fetched = fetcher.fetch("https://metadata.evil.example/latest/meta-data/iam");
        assertEquals("gather.address_refused", fetched.errorCode(), fetched.reason());
        var client = new dev.sluice.core.webhook.WebhookClient(java.time.Duration.ofSeconds(1), GUARD);
        var response = client.post("https://internal.evil.example/hook", Map.of(), "{}", java.time.Duration.ofSeconds(1));
        org.junit.jupiter.api.Assertions.assertTrue(response.refused());
        org.junit.jupiter.api.Assertions.assertFalse(response.retriable(), "a refused endpoint is not retried");
    }

    @Test
    void theCheckedAddressIsTheOneConnectedTo_aLaterDnsAnswerCannotRebindIt() throws Exception {
        assertTrue(PinnedAddresses.active(), "this JVM resolves through the pins (META-INF/services)");
        java.util.concurrent.atomic.AtomicInteger lookups = new java.util.concurrent.atomic.AtomicInteger();
        // the attacker's DNS: a public address for the check, then loopback for the connection
        OutboundGuard guard = new OutboundGuard(host -> List.of(java.net.InetAddress.getByName(
                lookups.getAndIncrement() == 0 ? "93.184.216.34" : "127.0.0.1")), false);
        assertNull(guard.check("https://rebinding.sluice-test.example/x.jpg"));
        java.net.InetAddress[] connectTo = java.net.InetAddress.getAllByName("rebinding.sluice-test.example");
        assertEquals(List.of("93.184.216.34"), java.util.Arrays.stream(connectTo).map(java.net.InetAddress::getHostAddress).toList());
    }

    @Test
    void theHttpClientsConnectThroughThePins() throws Exception {
        var server = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.start();
        try {
            // a name no DNS knows, pinned to the server's address: only the pin can make the connection work
            PinnedAddresses.pin("pinned-only.sluice-test.example", List.of(java.net.InetAddress.getLoopbackAddress()));
            // generous caps, not expectations: a loopback POST took over 2 s on a machine with a load average of 15
            var client = new dev.sluice.core.webhook.WebhookClient(java.time.Duration.ofSeconds(30),
                    new OutboundGuard(OutboundGuard.Resolver.SYSTEM, true));
            var response = client.post("http://pinned-only.sluice-test.example:" + server.getAddress().getPort() + "/hook",
                    Map.of(), "{}", java.time.Duration.ofSeconds(60)); // the whole POST: a cap on a busy machine, not an expectation
            assertEquals(204, response.status(), response.describe());
        } finally {
            server.stop(0);
        }
    }
}
