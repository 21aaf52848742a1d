package org.imgorigin.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * IMGORIGIN_HOST: bound to 127.0.0.1 (nginx on the same machine in front), the server answers
 * on loopback and is not reachable on the machine's other addresses; by default it is.
 */
class BindAddressTest {
    @TempDir
    Path root;

    @Test
    void boundToLoopbackItIsNotReachableOnAnotherAddress() throws Exception {
        Optional<InetAddress> other = otherLocalAddress();
        try (Server server = TestOrigin.start(root, "IMGORIGIN_HOST", "127.0.0.1")) {
            assertThat(healthz(InetAddress.getByName("127.0.0.1"), server.port())).startsWith("HTTP/1.1 200");
            Assumptions.assumeTrue(other.isPresent(), "this machine has no address but loopback");
            assertThatThrownBy(() -> healthz(other.get(), server.port()))
                    .isInstanceOf(java.net.ConnectException.class);
        }
    }

    /** The other half: with the default (0.0.0.0), the same address does answer, so the refusal above means something. */
    @Test
    void byDefaultItIsReachableOnEveryAddress() throws Exception {
        Optional<InetAddress> other = otherLocalAddress();
        Assumptions.assumeTrue(other.isPresent(), "this machine has no address but loopback");
        try (Server server = TestOrigin.start(root)) {
            assertThat(healthz(InetAddress.getByName("127.0.0.1"), server.port())).startsWith("HTTP/1.1 200");
            assertThat(healthz(other.get(), server.port())).startsWith("HTTP/1.1 200");
        }
    }

    /** An IPv4 address of this machine that is not loopback (what {@code hostname -I} lists first), if any. */
    private static Optional<InetAddress> otherLocalAddress() throws IOException {
        return NetworkInterface.networkInterfaces()
                .filter(i -> {
                    try {
                        return i.isUp() && !i.isLoopback();
                    } catch (IOException e) {
                        return false;
                    }
                })
                .flatMap(NetworkInterface::inetAddresses)
                .filter(a -> a instanceof java.net.Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress())
                .findFirst();
    }

    /** The status line of {@code GET /healthz} over a plain socket. */
    private static String healthz(InetAddress address, int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address, port), 2_000);
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            return response.lines().findFirst().orElse("");
        }
    }
}
