package dev.sluice.local;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * Issue 14: every emulator of the local stack and the tests (DynamoDB Local, ElasticMQ, S3Mock, none of which
 * authenticates) listens on 127.0.0.1 only. Each port answers on loopback and refuses connections on every other
 * address of this machine (before the fix, S3Mock's HTTP port accepted them).
 */
class EmulatorBindingTest {
    @Test
    void everyEmulator_listensOnLoopbackOnly() throws IOException {
        List<InetAddress> others = new ArrayList<>();
        for (NetworkInterface nic : NetworkInterface.networkInterfaces().toList()) {
            if (nic.isUp() && !nic.isLoopback()) {
                nic.inetAddresses().filter(a -> !a.isLinkLocalAddress()).forEach(others::add);
            }
        }
        assumeFalse(others.isEmpty(), "this machine has no address but loopback: nothing to connect from");
        try (EmulatorStack stack = EmulatorStack.start()) {
            Map<String, URI> endpoints = Map.of("DynamoDB Local", stack.dynamoEndpoint, "ElasticMQ", stack.sqsEndpoint,
                    "S3Mock", stack.s3Endpoint);
            for (Map.Entry<String, URI> e : endpoints.entrySet()) {
                int port = e.getValue().getPort();
                assertEquals("127.0.0.1", e.getValue().getHost());
                assertTrue(connects(InetAddress.getLoopbackAddress(), port), e.getKey() + " answers on loopback");
                for (InetAddress address : others) {
                    assertFalse(connects(address, port), e.getKey() + " must not listen on " + address.getHostAddress()
                            + ":" + port);
                }
            }
        }
    }

    private static boolean connects(InetAddress address, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address, port), 2_000);
            return true;
        } catch (IOException refused) {
            return false;
        }
    }
}
