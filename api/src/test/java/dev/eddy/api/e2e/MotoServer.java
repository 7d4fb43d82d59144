package dev.eddy.api.e2e;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * moto's server ({@code moto_server}, Python) on a free loopback port: the DynamoDB (and CloudWatch) a KCL
 * application keeps its leases in, started and stopped by the test. Not thread-safe.
 */
final class MotoServer implements AutoCloseable {

    private final Process process;
    private final int port;
    private final Path log;

    private MotoServer(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    static MotoServer start() throws IOException, InterruptedException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path log = Files.createTempFile("moto-", ".log");
        Process process = new ProcessBuilder("moto_server", "-H", "127.0.0.1", "-p", Integer.toString(port))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        MotoServer moto = new MotoServer(process, port, log);
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (true) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return moto;
            } catch (IOException e) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    moto.close();
                    throw new IllegalStateException("moto_server did not start: " + Files.readString(log), e);
                }
                Thread.sleep(100);
            }
        }
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            Files.deleteIfExists(log);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // a leftover log file is harmless
        }
    }
}
