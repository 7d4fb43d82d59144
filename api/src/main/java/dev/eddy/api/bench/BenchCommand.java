package dev.eddy.api.bench;

/** Placeholder until the real load generator is merged from the {@code tests} branch. */
public final class BenchCommand {

    private BenchCommand() {
    }

    /** Runs the bench command; returns the process exit code. */
    public static int run(String[] args) {
        System.err.println("bench: not merged yet");
        return 1;
    }
}
