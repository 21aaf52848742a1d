package org.imgorigin.app;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.vertx.core.http.HttpConnection;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Deadlines for the parts of an HTTP/1.x connection that Vert.x's idle timeout does not bound,
 * because every byte resets it:
 * <ul>
 * <li>a new connection must deliver a complete request head (request line and headers) within
 * the header timeout of being opened;</li>
 * <li>after a response, a kept-alive connection may stay silent for the keep-alive timeout; once
 * the next request's first byte arrives, its head must be complete within the header
 * timeout of that byte.</li>
 * </ul>
 * While a request is being handled (its head has arrived and its response has not been written
 * out) no deadline runs here: a long upload body has its own timeouts (UploadHandler), renders
 * theirs. A connection past its deadline is answered 408 (JSON) and closed.
 *
 * <p>Two Netty handlers share the state: one in front of the HTTP decoder sees the raw bytes
 * (the first byte after a keep-alive pause), one behind it sees decoded request heads and the
 * response objects Vert.x writes. All of it runs on the connection's event loop.
 */
final class ConnectionDeadlines {
    private static final byte[] TIMEOUT_BODY =
            "{\"status\":408,\"error\":\"the request head did not arrive in time\"}".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TIMEOUT_RESPONSE = ("HTTP/1.1 408 Request Timeout\r\n"
            + "Content-Type: application/json; charset=utf-8\r\n"
            + "Cache-Control: no-store\r\n"
            + "Connection: close\r\n"
            + "Content-Length: " + TIMEOUT_BODY.length + "\r\n\r\n"
            + new String(TIMEOUT_BODY, StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII);

    private final long headerNanos;
    private final long keepAliveNanos;
    private final java.util.function.Consumer<String> onTimeout;
    private ChannelHandlerContext raw;
    /** Request heads received whose responses have not been written out yet. */
    private int inFlight;
    /** True while the connection waits, silent, for the next request after a response. */
    private boolean keptAlive;
    private ScheduledFuture<?> timer;

    private ConnectionDeadlines(long headerNanos, long keepAliveNanos, java.util.function.Consumer<String> onTimeout) {
        this.headerNanos = headerNanos;
        this.keepAliveNanos = keepAliveNanos;
        this.onTimeout = onTimeout;
    }

    /**
     * Adds the deadlines to an HTTP/1.x connection that Vert.x has just accepted; returns false
     * (and adds nothing) for a connection whose pipeline it does not recognise (HTTP/2).
     * {@code onTimeout} is told which deadline closed a connection: "header" or "keepalive".
     */
    static boolean install(HttpConnection connection, long headerMillis, long keepAliveMillis,
            java.util.function.Consumer<String> onTimeout) {
        if (!(connection instanceof io.vertx.core.http.impl.HttpServerConnection server)) {
            return false;
        }
        ChannelHandlerContext vertxHandler = server.channelHandlerContext();
        ChannelPipeline pipeline = vertxHandler.pipeline();
        ChannelHandlerContext decoder = pipeline.context(HttpRequestDecoder.class);
        if (decoder == null) {
            return false;
        }
        ConnectionDeadlines deadlines = new ConnectionDeadlines(TimeUnit.MILLISECONDS.toNanos(headerMillis),
                TimeUnit.MILLISECONDS.toNanos(keepAliveMillis), onTimeout);
        pipeline.addBefore(decoder.name(), "imgorigin-raw-deadline", deadlines.new Raw());
        pipeline.addBefore(vertxHandler.name(), "imgorigin-head-deadline", deadlines.new Heads());
        return true;
    }

    private void arm(long nanos) {
        cancel();
        timer = raw.executor().schedule(this::expire, nanos, TimeUnit.NANOSECONDS);
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void expire() {
        timer = null;
        if (inFlight > 0 || !raw.channel().isActive()) {
            return;
        }
        onTimeout.accept(keptAlive ? "keepalive" : "header");
        if (keptAlive) {
            // Nothing of a next request arrived: an idle keep-alive connection just ends.
            raw.close();
        } else {
            raw.writeAndFlush(Unpooled.wrappedBuffer(TIMEOUT_RESPONSE)).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** In front of the decoder: starts the clock at the connection's start and at a request's first byte. */
    private final class Raw extends ChannelInboundHandlerAdapter {
        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            raw = ctx;
            arm(headerNanos);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (keptAlive && inFlight == 0 && msg instanceof ByteBuf bytes && bytes.isReadable()) {
                keptAlive = false;
                arm(headerNanos);
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            cancel();
            ctx.fireChannelInactive();
        }
    }

    /** Behind the decoder: a request head stops the clock; a response written out restarts it. */
    private final class Heads extends ChannelDuplexHandler {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest) {
                inFlight++;
                keptAlive = false;
                cancel();
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            boolean informational = msg instanceof HttpResponse response && response.status().codeClass()
                    == io.netty.handler.codec.http.HttpStatusClass.INFORMATIONAL;
            if (msg instanceof LastHttpContent && !informational) {
                // When the last byte has gone to the socket, not when it was queued: a client
                // reading a large response slowly is not waiting for anything of ours.
                ChannelPromise written = promise.unvoid();
                written.addListener(done -> responseDone());
                ctx.write(msg, written);
            } else {
                ctx.write(msg, promise);
            }
        }

        private void responseDone() {
            if (inFlight > 0 && --inFlight == 0 && raw.channel().isActive()) {
                keptAlive = true;
                arm(keepAliveNanos);
            }
        }
    }
}
