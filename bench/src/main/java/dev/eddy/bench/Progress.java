package dev.eddy.bench;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/** A once-a-second, {@code \r}-updated progress line on stderr. Thread-safe. */
final class Progress implements AutoCloseable {

    private final PrintStream out;
    private final boolean enabled;
    private final ScheduledExecutorService timer;
    private volatile String phase = "";
    private volatile LongSupplier done = () -> 0;
    private volatile long total;
    private volatile long phaseStart = System.nanoTime();
    private volatile java.util.function.Supplier<String> detail = () -> "";
    private int lastWidth;

    Progress(PrintStream out, boolean enabled) {
        this.out = out;
        this.enabled = enabled;
        this.timer = enabled ? Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-progress");
            t.setDaemon(true);
            return t;
        }) : null;
        if (enabled) {
            timer.scheduleAtFixedRate(this::print, 1, 1, TimeUnit.SECONDS);
        }
    }

    /** Starts reporting a new phase. */
    void phase(String name, long total, LongSupplier done) {
        phase(name, total, done, () -> "");
    }

    /** Starts reporting a new phase with more to say after the counts. */
    void phase(String name, long total, LongSupplier done, java.util.function.Supplier<String> detail) {
        this.detail = detail;
        this.phase = name;
        this.total = total;
        this.done = done;
        this.phaseStart = System.nanoTime();
    }

    private synchronized void print() {
        long n = done.getAsLong();
        double seconds = Math.max(1e-9, (System.nanoTime() - phaseStart) / 1e9);
        String line = String.format(Locale.ROOT, "%s %,d/%,d records (%.0f%%) %,.0f records/s %.0fs",
                phase, n, total, total == 0 ? 0.0 : 100.0 * n / total, n / seconds, seconds) + detail.get();
        out.print("\r" + line + " ".repeat(Math.max(0, lastWidth - line.length())));
        out.flush();
        lastWidth = line.length();
    }

    @Override
    public synchronized void close() {
        if (enabled) {
            timer.shutdownNow();
            if (lastWidth > 0) {
                out.print("\r" + " ".repeat(lastWidth) + "\r");
                out.flush();
            }
        }
    }
}
