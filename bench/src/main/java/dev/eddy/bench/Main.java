package dev.eddy.bench;

/**
 * The command line of {@code java -jar eddy-bench.jar [options]}: runs one bench and exits with its code
 * (0 verified, 1 not verified or failed, 2 bad arguments).
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(BenchCommand.run(args));
    }
}
