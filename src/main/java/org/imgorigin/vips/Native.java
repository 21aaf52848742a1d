package org.imgorigin.vips;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The downcalls into libvips and GLib. libvips' operations are C varargs functions
 * ({@code vips_resize(in, &out, scale, "vscale", 2.0, NULL)}), so each distinct shape of
 * call gets its own downcall handle, built on first use from the Java types of its
 * arguments and cached: {@link Integer} and {@link Boolean} pass as C {@code int},
 * {@link Double} as {@code double}, {@link Long} as {@code size_t}, {@link MemorySegment}
 * as a pointer.
 */
final class Native {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBS = lookup();
    private static final ConcurrentHashMap<String, MethodHandle> HANDLES = new ConcurrentHashMap<>();
    private static final ConcurrentHashMap<String, Boolean> PRESENT = new ConcurrentHashMap<>();

    private Native() {
    }

    private static SymbolLookup lookup() {
        String override = System.getenv("IMGORIGIN_LIBVIPS");
        String name = override != null && !override.isBlank() ? override : "libvips.so.42";
        SymbolLookup vips = SymbolLookup.libraryLookup(name, Arena.global());
        // GLib's g_object_unref/g_free are found through libvips' own dependencies.
        return vips.or(LINKER.defaultLookup());
    }

    /** Whether the library has {@code function}: a build may leave out a C wrapper whose operation it has. */
    static boolean has(String function) {
        return PRESENT.computeIfAbsent(function, f -> LIBS.find(f).isPresent());
    }

    /** Calls a function returning {@code int}; {@code fixedArgs} is the count before the varargs (-1: not variadic). */
    static int callInt(String function, int fixedArgs, Object... args) {
        return (int) invoke(function, ValueLayout.JAVA_INT, fixedArgs, args);
    }

    static long callLong(String function, int fixedArgs, Object... args) {
        return (long) invoke(function, ValueLayout.JAVA_LONG, fixedArgs, args);
    }

    static MemorySegment callPointer(String function, int fixedArgs, Object... args) {
        return (MemorySegment) invoke(function, ValueLayout.ADDRESS, fixedArgs, args);
    }

    static void callVoid(String function, Object... args) {
        invoke(function, null, -1, args);
    }

    private static Object invoke(String function, MemoryLayout result, int fixedArgs, Object[] args) {
        List<MemoryLayout> layouts = new ArrayList<>(args.length);
        StringBuilder key = new StringBuilder(function).append('(');
        for (Object arg : args) {
            MemoryLayout layout = switch (arg) {
                case Integer ignored -> ValueLayout.JAVA_INT;
                case Boolean ignored -> ValueLayout.JAVA_INT;
                case Double ignored -> ValueLayout.JAVA_DOUBLE;
                case Long ignored -> ValueLayout.JAVA_LONG;
                case MemorySegment ignored -> ValueLayout.ADDRESS;
                default -> throw new IllegalArgumentException("unsupported native argument " + arg.getClass());
            };
            layouts.add(layout);
            key.append(layout.toString()).append(',');
        }
        key.append(')').append(result == null ? "v" : result.toString()).append(fixedArgs);
        MethodHandle handle = HANDLES.computeIfAbsent(key.toString(), k -> {
            MemorySegment symbol = LIBS.find(function)
                    .orElseThrow(() -> new UnsatisfiedLinkError("libvips has no symbol " + function));
            MemoryLayout[] argLayouts = layouts.toArray(MemoryLayout[]::new);
            FunctionDescriptor descriptor = result == null
                    ? FunctionDescriptor.ofVoid(argLayouts)
                    : FunctionDescriptor.of(result, argLayouts);
            return fixedArgs >= 0
                    ? LINKER.downcallHandle(symbol, descriptor, Linker.Option.firstVariadicArg(fixedArgs))
                    : LINKER.downcallHandle(symbol, descriptor);
        });
        Object[] converted = new Object[args.length];
        for (int i = 0; i < args.length; i++) {
            converted[i] = args[i] instanceof Boolean b ? (b ? 1 : 0) : args[i];
        }
        try {
            return handle.invokeWithArguments(converted);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("native call " + function + " failed", t);
        }
    }

    /**
     * Takes libvips' error text after a failed call: {@code vips_error_buffer_copy} copies and
     * clears the buffer under libvips' own lock, so no other thread's message can land between
     * the read and the clear (as it could with {@code vips_error_buffer} then
     * {@code vips_error_clear}, two calls), and the copy is ours to free.
     *
     * <p>What is still shared: libvips 8.14 has one error buffer for the whole process, not one
     * per thread. When renders fail at the same moment on several threads, the first to take it
     * gets every message written so far (its own and others'), and a later one may find it empty;
     * a successful load can leave text behind too (libheif's "source: bad seek" on every AVIF),
     * which the next failure then carries. So the text is for logs only, never a decision or a
     * client; an empty buffer gives a placeholder, never an empty detail.
     */
    static String takeError() {
        MemorySegment copy = callPointer("vips_error_buffer_copy", -1);
        if (copy.equals(MemorySegment.NULL)) {
            return NO_MESSAGE;
        }
        try {
            String message = copy.reinterpret(Integer.MAX_VALUE).getString(0).strip();
            return message.isEmpty() ? NO_MESSAGE : message;
        } finally {
            callVoid("g_free", copy);
        }
    }

    /** The detail of a failure whose message another thread's failure took first (see {@link #takeError()}). */
    static final String NO_MESSAGE = "libvips left no message (another thread may have taken it)";
}
