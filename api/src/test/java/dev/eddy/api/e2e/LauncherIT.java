package dev.eddy.api.e2e;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordResponse;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A plain {@code java -jar eddy.jar} runs the server in a child JVM with bounded-memory options; the child
 * must never outlive the launcher (SIGKILL) and must stop cleanly with it (SIGTERM).
 */
class LauncherIT {

    @Test
    void serverRunsInABoundedChildJvmTiedToTheLauncher(@TempDir Path dataDir) throws Exception {
        EddyProcess eddy = EddyProcess.startMapDb(dataDir, List.of());
        ProcessHandle child = onlyChild(eddy.process());
        String childCommand = child.info().commandLine().orElse("");
        assertTrue(childCommand.contains("-Xmx1g"), "child JVM options: " + childCommand);

        String sequenceNumber;
        try (KinesisClient kinesis = SdkClients.syncCbor(eddy.endpoint())) {
            kinesis.createStream(b -> b.streamName("launched").shardCount(1));
            kinesis.waiter().waitUntilStreamExists(b -> b.streamName("launched"));
            PutRecordResponse put = kinesis.putRecord(b -> b.streamName("launched").partitionKey("k")
                    .data(SdkBytes.fromUtf8String("kept")));
            sequenceNumber = put.sequenceNumber();
        }

        // SIGKILL of the launcher: the server must go too, at once, releasing the port and the data directory.
        eddy.process().destroyForcibly();
        eddy.process().waitFor(30, TimeUnit.SECONDS);
        assertTrue(child.onExit().toCompletableFuture().completeOnTimeout(null, 10, TimeUnit.SECONDS)
                .thenApply(h -> !child.isAlive()).get(), "server JVM outlived its killed launcher");

        EddyProcess again = EddyProcess.startMapDb(dataDir, List.of());
        ProcessHandle secondChild = onlyChild(again.process());
        try (KinesisClient kinesis = SdkClients.syncCbor(again.endpoint())) {
            String iterator = kinesis.getShardIterator(b -> b.streamName("launched").shardId("shardId-000000000000")
                    .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
            GetRecordsResponse got = kinesis.getRecords(b -> b.shardIterator(iterator));
            assertEquals(1, got.records().size());
            assertEquals(sequenceNumber, got.records().get(0).sequenceNumber());
            assertEquals("kept", got.records().get(0).data().asUtf8String());
        }
        // SIGTERM of the launcher stops the server cleanly.
        again.process().destroy();
        assertTrue(again.process().waitFor(60, TimeUnit.SECONDS), "launcher did not stop on SIGTERM");
        assertTrue(secondChild.onExit().toCompletableFuture().completeOnTimeout(null, 10, TimeUnit.SECONDS)
                .thenApply(h -> !secondChild.isAlive()).get(), "server JVM outlived its stopped launcher");
    }

    private static ProcessHandle onlyChild(Process launcher) {
        List<ProcessHandle> children = launcher.children().toList();
        assertEquals(1, children.size(), "expected the launcher to run exactly one server JVM");
        return children.get(0);
    }
}
