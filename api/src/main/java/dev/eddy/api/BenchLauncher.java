package dev.eddy.api;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * {@code java -jar eddy.jar bench ...}, kept for scripts: the load generator is its own jar now
 * ({@code eddy-bench.jar}, module {@code bench/}), so this finds it and runs it as a child JVM with the same
 * java binary, inherited stdio and the same arguments. Stateless; one call per process.
 */
final class BenchLauncher {

    static final String JAR = "eddy-bench.jar";

    private BenchLauncher() {
    }

    /** Runs the bench jar with {@code args}; returns its exit code, or 2 (with a message) when it is not found. */
    static int run(String[] args, PrintStream err) {
        return run(serverLocation(), args, err);
    }

    /** As {@link #run(String[], PrintStream)} for a server loaded from {@code serverLocation}. */
    static int run(Path serverLocation, String[] args, PrintStream err) {
        Optional<Path> jar = find(serverLocation);
        if (jar.isEmpty()) {
            err.println("eddy: the load generator is not part of eddy.jar any more: it is " + JAR + ", which was "
                    + "not found next to eddy.jar nor at ../../bench/target/" + JAR + " from it.\n"
                    + "Build it with 'mvn -B package -DskipTests' at the root of the repository and run it as\n"
                    + "  java -jar bench/target/" + JAR + " " + String.join(" ", args));
            return 2;
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-jar");
        command.add(jar.get().toString());
        command.addAll(Arrays.asList(args));
        try {
            Process child = new ProcessBuilder(command).inheritIO().start();
            // SIGTERM to this launcher stops the bench too (Ctrl-C reaches both through the terminal anyway).
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                if (child.isAlive()) {
                    child.destroy();
                }
            }, "eddy-bench-launcher-shutdown"));
            return child.waitFor();
        } catch (IOException e) {
            err.println("eddy: cannot start " + jar.get() + ": " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }

    /**
     * The bench jar for a server at {@code serverLocation} (eddy.jar, or a classes directory): next to it, or
     * at {@code ../../bench/target/eddy-bench.jar} from its directory (the repository's layout after a build).
     */
    static Optional<Path> find(Path serverLocation) {
        if (serverLocation == null) {
            return Optional.empty();
        }
        Path dir = serverLocation.toAbsolutePath().getParent();
        if (dir == null) {
            return Optional.empty();
        }
        for (Path candidate : List.of(dir.resolve(JAR), dir.resolve("../../bench/target").resolve(JAR))) {
            if (Files.isRegularFile(candidate)) {
                return Optional.of(candidate.normalize());
            }
        }
        return Optional.empty();
    }

    /** Where this server's classes were loaded from: eddy.jar, or {@code api/target/classes} in a build. */
    private static Path serverLocation() {
        try {
            return Path.of(BenchLauncher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException | RuntimeException e) {
            String classPath = System.getProperty("java.class.path", "");
            return classPath.isEmpty() ? null : Path.of(classPath.split(File.pathSeparator)[0]);
        }
    }
}
