package org.imgorigin.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The pool's places: one worker and one waiting place. A place is given back when its run ends,
 * or, when it is held (a render a burst took), when the hold is let go too, in either order,
 * exactly once; a place given back is never held again.
 */
class RenderPoolTest {
    Vertx vertx;
    RenderPool pool;

    @BeforeEach
    void setUp() {
        vertx = Vertx.vertx();
        pool = new RenderPool(vertx, 1, 1);
    }

    @AfterEach
    void tearDown() throws Exception {
        pool.close();
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private void full() {
        assertThat(pool.hasRoom()).isFalse();
        assertThatThrownBy(pool::admit).isInstanceOf(HttpError.class).hasMessageContaining("too many renders");
    }

    @Test
    void aHeldPlaceIsGivenBackWhenBothItsRunAndItsHoldAreDone() throws Exception {
        RenderPool.Slot a = pool.admit();
        RenderPool.Slot b = pool.admit();
        full();
        // Held before its run, let go after it: given back only then.
        Runnable hold = a.hold();
        assertThat(hold).isNotNull();
        a.run(() -> null).await(10, TimeUnit.SECONDS);
        full(); // a's run is over, but a is held

        hold.run();
        hold.run(); // once only
        assertThat(pool.hasRoom()).isTrue();
        // Let go before its run ends: given back at the end of the run.
        Runnable early = b.hold();
        early.run();
        assertThat(pool.hasRoom()).isTrue();
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        var running = b.run(() -> {
            started.countDown();
            go.await();
            return null;
        });
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        RenderPool.Slot d = pool.admit();
        full();
        go.countDown();
        running.await(10, TimeUnit.SECONDS);
        d.release();
        assertThat(pool.queued()).isZero();
        assertThat(pool.hasRoom()).isTrue();
        // A place given back cannot be held again: its count stays right.
        assertThat(a.hold()).isNull();
        assertThat(b.hold()).isNull();
        RenderPool.Slot e = pool.admit();
        RenderPool.Slot f = pool.admit();
        full();
        e.release();
        f.release();
    }
}
