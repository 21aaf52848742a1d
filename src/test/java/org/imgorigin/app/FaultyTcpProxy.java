package org.imgorigin.app;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on loopback between the server and an S3 protocol server, passing bytes through
 * unchanged (so SigV4 signatures stay valid) or failing as a test says: refusing connections as
 * a stopped server does, holding every answer back, or answering 500 without asking upstream.
 * Every change of behaviour cuts the connections open so far, so pooled keep-alive connections
 * cannot carry the old behaviour over.
 */
final class FaultyTcpProxy implements AutoCloseable {
    enum Mode { PASS, DELAY, DELAY_ANSWER, ERROR_500 }

    private final int upstreamPort;
    private final int port;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    /** Requests that reached this proxy while it answered 500 (one per SDK attempt). */
    final AtomicInteger errorRequests = new AtomicInteger();
    /** Reads or answers being held back by a delay right now. */
    final AtomicInteger held = new AtomicInteger();
    /** Connections accepted, in any mode. */
    final AtomicInteger connections = new AtomicInteger();
    private volatile ServerSocket listener;
    private volatile Mode mode = Mode.PASS;
    private volatile long delayMillis;

    FaultyTcpProxy(int upstreamPort) throws IOException {
        this.upstreamPort = upstreamPort;
        this.listener = listen(0);
        this.port = listener.getLocalPort();
    }

    int port() {
        return port;
    }

    synchronized void pass() {
        set(Mode.PASS, 0);
    }

    synchronized void delay(long millis) {
        set(Mode.DELAY, millis);
    }

    /** The answer (its first bytes) is held back: the store has done the work, the client does not know yet. */
    synchronized void delayAnswers(long millis) {
        set(Mode.DELAY_ANSWER, millis);
    }

    synchronized void error500() {
        errorRequests.set(0);
        set(Mode.ERROR_500, 0);
    }

    /** Closes the listening socket: new connections are refused, as by a stopped server. */
    synchronized void refuse() throws IOException {
        if (listener != null) {
            listener.close();
            listener = null;
        }
        cutAll();
    }

    /** Listens again, on the same port. */
    synchronized void accept() throws IOException {
        if (listener == null) {
            listener = listen(port);
        }
    }

    private void set(Mode m, long millis) {
        mode = m;
        delayMillis = millis;
        cutAll();
    }

    private void cutAll() {
        for (Socket s : open) {
            closeQuietly(s);
        }
        open.clear();
    }

    private ServerSocket listen(int p) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), p), 50);
        Thread.ofVirtual().name("fault-proxy-accept").start(() -> {
            while (!s.isClosed()) {
                try {
                    Socket client = s.accept();
                    connections.incrementAndGet();
                    Mode m = mode;
                    long d = delayMillis;
                    Thread.ofVirtual().start(() -> handle(client, m, d));
                } catch (IOException e) {
                    return;
                }
            }
        });
        return s;
    }

    private void handle(Socket client, Mode m, long delay) {
        open.add(client);
        Socket upstream = null;
        try {
            if (m == Mode.ERROR_500) {
                answer500(client);
                return;
            }
            upstream = new Socket();
            open.add(upstream);
            upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort), 2000);
            Socket up = upstream;
            // A request (a GET's head is one read) is held back before it goes upstream.
            Thread.ofVirtual().start(() -> pump(client, up, m == Mode.DELAY ? delay : 0, false));
            pump(up, client, m == Mode.DELAY_ANSWER ? delay : 0, true);
        } catch (IOException e) {
            // upstream down or connection cut: close both ends
        } finally {
            closeQuietly(client);
            if (upstream != null) {
                closeQuietly(upstream);
                open.remove(upstream);
            }
            open.remove(client);
        }
    }

    /** Copies from one socket to the other, holding back every read by {@code delay} ms. */
    private void pump(Socket from, Socket to, long delay, boolean firstOnly) {
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            byte[] buffer = new byte[16384];
            boolean first = true;
            for (int n; (n = in.read(buffer)) >= 0; ) {
                if (delay > 0 && (first || !firstOnly)) {
                    held.incrementAndGet();
                    try {
                        Thread.sleep(delay);
                    } finally {
                        held.decrementAndGet();
                    }
                }
                first = false;
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // the other side closed
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    /** Reads one request head and answers an S3-style 500, closing the connection. */
    private void answer500(Socket client) throws IOException {
        InputStream in = client.getInputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                return;
            }
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        errorRequests.incrementAndGet();
        String body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>InternalError</Code>"
                + "<Message>We encountered an internal error. Please try again.</Message></Error>";
        String head = "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/xml\r\nContent-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\nConnection: close\r\n\r\n";
        OutputStream out = client.getOutputStream();
        out.write((head + body).getBytes(StandardCharsets.UTF_8));
        out.flush();
        client.shutdownOutput();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public synchronized void close() throws IOException {
        refuse();
    }
}
