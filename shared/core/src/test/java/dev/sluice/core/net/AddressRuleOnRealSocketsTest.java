package dev.sluice.core.net;

import dev.sluice.core.AllowedBuckets;
import dev.sluice.core.inference.ItemFetcher;
import dev.sluice.core.webhook.WebhookClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 20 item 3: the address rule with the platform's own resolver ({@link OutboundGuard.Resolver#SYSTEM}, the one
 * deployed) and real sockets. Loopback listeners stand where an attacker aims; every spelling of their addresses, as an
 * item URL and as a webhook endpoint, is refused and the listeners see no connection (a connection completes in the
 * kernel's backlog whether or not it is accepted, so a non-blocking accept afterwards tells).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AddressRuleOnRealSocketsTest {
    ServerSocketChannel v4;
    ServerSocketChannel v6; // null where the machine has no IPv6 loopback

    @BeforeAll
    void listen() throws Exception {
        v4 = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 64);
        v4.configureBlocking(false);
        try {
            v6 = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getByName("::1"), 0), 64);
            v6.configureBlocking(false);
        } catch (java.io.IOException e) {
            v6 = null;
        }
    }

    @AfterAll
    void close() throws Exception {
        v4.close();
        if (v6 != null) {
            v6.close();
        }
    }

    /** Every spelling of the loopback listeners' addresses (and of instance metadata), IPv4 embedded in IPv6 first. */
    List<String> hostileUrls() {
        int p4 = v4.socket().getLocalPort();
        List<String> urls = new ArrayList<>(List.of(
                "https://[::ffff:127.0.0.1]:" + p4 + "/",
                "https://[::ffff:7f00:1]:" + p4 + "/",
                "https://[0:0:0:0:0:ffff:127.0.0.1]:" + p4 + "/",
                "https://[0:0:0:0:0:ffff:7f00:0001]:" + p4 + "/",
                "https://[0000:0000:0000:0000:0000:FFFF:7F00:0001]:" + p4 + "/",
                "https://[::FFFF:127.0.0.1]:" + p4 + "/",
                "https://[::127.0.0.1]:" + p4 + "/", // IPv4-compatible
                "https://[::7f00:1]:" + p4 + "/",
                "https://[::ffff:0:127.0.0.1]:" + p4 + "/", // IPv4-translated
                "https://[64:ff9b::127.0.0.1]:" + p4 + "/", // NAT64
                "https://[64:ff9b:1::7f00:1]:" + p4 + "/",
                "https://[2002:7f00:1::1]:" + p4 + "/", // 6to4
                "https://[2001:0:4136:e378:8000:63bf:80ff:fffe]:" + p4 + "/", // Teredo, client 127.0.0.1
                "https://[::ffff:a9fe:a9fe]:" + p4 + "/latest/meta-data/", // 169.254.169.254
                "https://[::ffff:169.254.169.254]:" + p4 + "/latest/meta-data/",
                "https://[::ffff:a00:1]:" + p4 + "/",
                "https://127.0.0.1:" + p4 + "/",
                "https://127.0.0.1.:" + p4 + "/",
                "https://localhost:" + p4 + "/",
                "https://LOCALHOST.:" + p4 + "/",
                "https://0.0.0.0:" + p4 + "/"));
        if (v6 != null) {
            int p6 = v6.socket().getLocalPort();
            urls.addAll(List.of("https://[::1]:" + p6 + "/", "https://[0:0:0:0:0:0:0:1]:" + p6 + "/",
                    "https://[::0001]:" + p6 + "/", "https://[::]:" + p6 + "/"));
        }
        return urls;
    }

    @Test
    void thePlatformResolver_answersAMappedLiteralAsIPv6_andTheGuardJudgesItsEmbeddedIPv4() throws Exception {
        // what made the hole: getaddrinfo's answer keeps the mapped form, unlike InetAddress.getByName
        for (InetAddress a : OutboundGuard.Resolver.SYSTEM.resolve("::ffff:127.0.0.1")) {
            String why = OutboundGuard.nonPublic(a);
            assertNotNull(why, a + " must not be public");
            assertTrue(why.contains("127.0.0.1") || !(a instanceof Inet6Address), why);
        }
        assertEquals("an IPv4-mapped address (RFC 4291) (::ffff:0:0/96) embedding 169.254.169.254, a link-local address,"
                        + " where instance metadata lives (RFC 3927) (169.254.0.0/16)",
                OutboundGuard.nonPublic(Inet6Address.getByAddress(null, new byte[]{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1,
                        (byte) 169, (byte) 254, (byte) 169, (byte) 254}, -1)));
    }

    @Test
    void everySpelling_isRefusedOnBothPaths_andNoListenerSeesAConnection() throws Exception {
        OutboundGuard strict = new OutboundGuard(OutboundGuard.Resolver.SYSTEM, false);
        ItemFetcher items = new ItemFetcher(null, Duration.ofSeconds(2), Duration.ofSeconds(2), 1024, false, strict,
                AllowedBuckets.none("data"));
        WebhookClient webhooks = new WebhookClient(Duration.ofSeconds(2), strict);
        List<String> answers = new ArrayList<>();
        for (String url : hostileUrls()) {
            OutboundGuard.Refusal refusal = strict.check(url);
            assertNotNull(refusal, url + " must be refused");
            assertEquals("url.address_refused", refusal.code(), url + ": " + refusal.reason());
            ItemFetcher.Fetched fetched = items.fetch(url);
            assertEquals("gather.address_refused", fetched.errorCode(), url + ": " + fetched.reason());
            WebhookClient.Response posted = webhooks.post(url, Map.of(), "{}", Duration.ofSeconds(2));
            assertTrue(posted.refused(), url + ": " + posted.describe());
            answers.add(posted.status() + " " + posted.retriable());
        }
        assertEquals(1, answers.stream().distinct().count(), "one answer (status, retriable) for every refused address: "
                + answers);
        assertNull(v4.accept(), "the IPv4 loopback listener saw a connection");
        if (v6 != null) {
            assertNull(v6.accept(), "the IPv6 loopback listener saw a connection");
        }
    }

    @Test
    void theListenersDoSeeAConnection_whenOneIsMade() throws Exception {
        // the probe above can fail: a local-mode client may reach the listener, and the accept then finds it
        try (SocketChannel ignored = SocketChannel.open(new InetSocketAddress("127.0.0.1", v4.socket().getLocalPort()))) {
            SocketChannel seen = null;
            while (seen == null) {
                seen = v4.accept();
                Thread.onSpinWait();
            }
            seen.close();
        }
    }
}
