package dev.eddy.api;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the server in a child JVM with bounded-memory JVM options (a plain {@code java -jar} cannot set
 * them), and ties the two processes' lives together: SIGTERM to the launcher stops the server cleanly;
 * when the launcher dies, even by SIGKILL, the server halts at once, as if it had been killed too.
 * Not instantiable; the methods are called once from {@link Main}.
 */
final class ServerProcess {

    /**
     * Measured on the 2-core machine under the bench: a fixed 160 MiB young generation (most garbage is
     * request-sized and short-lived) with the parallel collector gave the best throughput at ~455 MiB RSS;
     * the old generation starts small and grows toward 1 GiB only as the in-memory indexes need it.
     */
    static final String DEFAULT_JVM_OPTIONS =
            "-Xms256m -Xmx1g -Xmn160m -XX:+UseParallelGC -XX:-UseAdaptiveSizePolicy -XX:+ExitOnOutOfMemoryError";

    /** Set in the child so it neither forks again nor outlives its launcher. */
    static final String CHILD_PROPERTY = "eddy.server.child";

    private ServerProcess() {
    }

    /**
     * Whether to run the server in a child JVM: not when this JVM is already that child, when the JVM
     * options are {@code none}, or when whoever started this JVM already chose its heap.
     */
    static boolean shouldFork(EddyConfig config) {
        if (Boolean.getBoolean(CHILD_PROPERTY) || config.jvmOptions().isEmpty()
                || config.jvmOptions().equalsIgnoreCase("none")) {
            return false;
        }
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("-Xmx") || arg.startsWith("-XX:MaxHeapSize") || arg.startsWith("-XX:MaxRAM")) {
                return false;
            }
        }
        return true;
    }

    /** Starts the server JVM with the same arguments and waits for it; returns its exit code. */
    static int runChild(EddyConfig config, String[] args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(Arrays.asList(config.jvmOptions().split("\\s+")));
        command.add("-D" + CHILD_PROPERTY + "=true");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Main.class.getName());
        command.addAll(Arrays.asList(args));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .redirectInput(ProcessBuilder.Redirect.PIPE); // its end closing tells the child we died
        // glibc gives each thread that mallocs its own arena (up to 8 per core), and the JVM's native allocations
        // spread over them: with two arenas a 1,000,000-record bench left the server at 457 MiB RSS instead of
        // 523 MiB, at the same throughput. A value the user set wins.
        builder.environment().putIfAbsent("MALLOC_ARENA_MAX", "2");
        Process child = builder.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(child), "eddy-launcher-shutdown"));
        return child.waitFor();
    }

    private static void stop(Process child) {
        if (!child.isAlive()) {
            return;
        }
        child.destroy(); // SIGTERM: the server closes cleanly
        try {
            if (!child.waitFor(60, TimeUnit.SECONDS)) {
                child.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** In the child: halts the moment the launcher is gone (standard input reaches end of file). */
    static void watchLauncher() {
        if (!Boolean.getBoolean(CHILD_PROPERTY)) {
            return;
        }
        Thread watcher = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // the launcher never writes; anything read is ignored
                }
            } catch (IOException ignored) {
                // a broken pipe means the same: the launcher is gone
            }
            Runtime.getRuntime().halt(137);
        }, "eddy-launcher-watch");
        watcher.setDaemon(true);
        watcher.start();
    }
}
