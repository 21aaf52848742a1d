package org.imgorigin.render;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Where one render finds the {@link Mezzanine} of its original; implemented by the tier that
 * keeps them. The renderer asks {@link #turn} only once the render's plan is known to fit
 * inside a mezzanine of {@link #edge()} ({@link Mezzanine#couldServe}, the one place that
 * decides), so only renders that could have loaded from one count towards making it.
 */
public interface MezzanineSource {
    /** No mezzanines: every render loads from the original. */
    MezzanineSource NONE = new MezzanineSource() {
        @Override
        public int edge() {
            return 0;
        }

        @Override
        public Turn turn(Duration wait) {
            return Turn.ORIGINAL;
        }
    };

    /**
     * The mezzanine already kept, if whole, without counting a render or making one: for a
     * look at the original's content that needs fewer pixels than it holds (its faces).
     */
    default Optional<Mezzanine> kept() {
        return Optional.empty();
    }

    /** The long side of the mezzanines it keeps; 0 when off. */
    int edge();

    /**
     * What this render does: load from the kept mezzanine, make it, or load from the original.
     * Called on the render's thread, inside its time limit; waits for another render making
     * the mezzanine no longer than {@code wait} (what is left of that limit).
     */
    Turn turn(Duration wait);

    /** The answer of {@link #turn}. */
    sealed interface Turn {
        /** Load from the original, as without mezzanines. */
        Turn ORIGINAL = new Original();

        /** Load from the original. */
        record Original() implements Turn {
        }

        /** Load from this mezzanine. */
        record Use(Mezzanine mezzanine) implements Turn {
            public Use {
                Objects.requireNonNull(mezzanine, "mezzanine");
            }
        }

        /**
         * This render makes the mezzanine, from the decode it needs anyway, and must call
         * {@code done} exactly once: with what it made, or empty when it could not (it is then
         * not tried again for a while).
         */
        record Make(Consumer<Optional<Mezzanine>> done) implements Turn {
            public Make {
                Objects.requireNonNull(done, "done");
            }
        }
    }
}
