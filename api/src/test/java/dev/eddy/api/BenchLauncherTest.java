package dev.eddy.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where {@code eddy.jar bench} looks for the bench jar. */
class BenchLauncherTest {

    @Test
    void findsTheBenchJarNextToEddyJarFirst(@TempDir Path dir) throws Exception {
        Path eddy = Files.createFile(dir.resolve("eddy.jar"));
        assertEquals(Optional.empty(), BenchLauncher.find(eddy));
        Files.createDirectories(dir.resolve("api/target"));
        Path inRepo = Files.createDirectories(dir.resolve("bench/target")).resolve("eddy-bench.jar");
        Files.createFile(inRepo);
        Path builtEddy = Files.createFile(dir.resolve("api/target/eddy.jar"));
        assertEquals(Optional.of(inRepo), BenchLauncher.find(builtEddy), "the repository's layout after mvn package");
        Path next = Files.createFile(dir.resolve("api/target/eddy-bench.jar"));
        assertEquals(Optional.of(next), BenchLauncher.find(builtEddy));
    }

    @Test
    void saysHowToBuildAndRunItWhenMissingAndExitsWithTwo(@TempDir Path dir) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = BenchLauncher.run(dir.resolve("eddy.jar"), new String[]{"--endpoint", "http://localhost:4567"},
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, exit);
        String message = err.toString(StandardCharsets.UTF_8);
        assertTrue(message.contains("mvn -B package"), message);
        assertTrue(message.contains("java -jar bench/target/eddy-bench.jar --endpoint http://localhost:4567"), message);
    }
}
