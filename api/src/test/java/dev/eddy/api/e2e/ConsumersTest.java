package dev.eddy.api.e2e;

import dev.eddy.api.TestBackends;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.Consumer;
import software.amazon.awssdk.services.kinesis.model.ConsumerDescription;
import software.amazon.awssdk.services.kinesis.model.ConsumerStatus;
import software.amazon.awssdk.services.kinesis.model.KinesisException;
import software.amazon.awssdk.services.kinesis.model.LimitExceededException;
import software.amazon.awssdk.services.kinesis.model.ListStreamConsumersResponse;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * Enhanced fan-out consumers' control plane with the AWS SDK v2 (CBOR and JSON): Register, Describe (by ARN and
 * by stream and name), List (paged), Deregister, CREATING -> ACTIVE -> DELETING -> gone, Kinesis's limits and
 * errors, deleted with their stream, kept across a restart.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsumersTest extends AbstractSdkTest {

    private String streamArn(String stream) {
        return client.describeStreamSummary(b -> b.streamName(stream)).streamDescriptionSummary().streamARN();
    }

    private static void eventually(String what, Supplier<Boolean> condition) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!condition.get()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    private ConsumerDescription describe(KinesisClient c, String consumerArn) {
        return c.describeStreamConsumer(b -> b.consumerARN(consumerArn)).consumerDescription();
    }

    @Test
    void consumersAreRegisteredDescribedListedAndDeregistered() throws Exception {
        Shards.createStream(client, "fanout", 2);
        String arn = streamArn("fanout");
        Consumer first = client.registerStreamConsumer(b -> b.streamARN(arn).consumerName("billing")).consumer();
        assertEquals("billing", first.consumerName());
        assertEquals(ConsumerStatus.CREATING, first.consumerStatus());
        assertTrue(first.consumerARN().startsWith(arn + "/consumer/billing:"), first.consumerARN());
        assertNotNull(first.consumerCreationTimestamp());
        eventually("ACTIVE", () -> describe(client, first.consumerARN()).consumerStatus() == ConsumerStatus.ACTIVE);
        try (KinesisClient json = SdkClients.syncJson(eddy.endpoint())) {
            ConsumerDescription byName = json.describeStreamConsumer(b -> b.streamARN(arn).consumerName("billing"))
                    .consumerDescription();
            assertEquals(first.consumerARN(), byName.consumerARN());
            assertEquals(arn, byName.streamARN());
            json.registerStreamConsumer(b -> b.streamARN(arn).consumerName("audit"));
        }
        assertEquals(2, client.describeStreamSummary(b -> b.streamName("fanout")).streamDescriptionSummary()
                .consumerCount());
        ListStreamConsumersResponse page = client.listStreamConsumers(b -> b.streamARN(arn).maxResults(1));
        assertEquals(List.of("audit"), page.consumers().stream().map(Consumer::consumerName).toList());
        assertNotNull(page.nextToken());
        ListStreamConsumersResponse rest = client.listStreamConsumers(b -> b.streamARN(arn).nextToken(page.nextToken()));
        assertEquals(List.of("billing"), rest.consumers().stream().map(Consumer::consumerName).toList());

        assertThrows(ResourceInUseException.class,
                () -> client.registerStreamConsumer(b -> b.streamARN(arn).consumerName("billing")));
        assertThrows(KinesisException.class,
                () -> client.registerStreamConsumer(b -> b.streamARN(arn).consumerName("bad name")));
        assertThrows(ResourceNotFoundException.class,
                () -> client.describeStreamConsumer(b -> b.streamARN(arn).consumerName("nobody")));
        assertThrows(KinesisException.class, () -> client.describeStreamConsumer(b -> b.streamARN(arn)));

        client.deregisterStreamConsumer(b -> b.consumerARN(first.consumerARN()));
        eventually("gone", () -> {
            try {
                return describe(client, first.consumerARN()).consumerStatus() == null;
            } catch (ResourceNotFoundException gone) {
                return true;
            }
        });
        assertEquals(List.of("audit"), client.listStreamConsumers(b -> b.streamARN(arn)).consumers().stream()
                .map(Consumer::consumerName).toList());
    }

    @Test
    void aStreamKeepsAtMostTwentyConsumersAndDeletesThemWithIt() throws Exception {
        Shards.createStream(client, "crowded", 1);
        String arn = streamArn("crowded");
        List<String> arns = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            int n = i;
            arns.add(client.registerStreamConsumer(b -> b.streamARN(arn).consumerName("c" + n)).consumer().consumerARN());
        }
        assertThrows(LimitExceededException.class,
                () -> client.registerStreamConsumer(b -> b.streamARN(arn).consumerName("c20")));
        assertThrows(ResourceInUseException.class, () -> client.deleteStream(b -> b.streamName("crowded")));
        client.deleteStream(b -> b.streamName("crowded").enforceConsumerDeletion(true));
        eventually("the stream gone", () -> client.listStreams().streamNames().stream().noneMatch("crowded"::equals));
        Shards.createStream(client, "crowded", 1);
        assertEquals(List.of(), client.listStreamConsumers(b -> b.streamARN(streamArn("crowded"))).consumers(),
                "a stream created again under the name has none of the old consumers");
        assertThrows(ResourceNotFoundException.class, () -> describe(client, arns.get(0)));
    }

    @Test
    void consumersSurviveARestart() throws Exception {
        assumeFalse("memory".equals(TestBackends.storage()), "the memory backend forgets everything on restart");
        Shards.createStream(client, "kept", 1);
        String arn = streamArn("kept");
        String consumerArn = client.registerStreamConsumer(b -> b.streamARN(arn).consumerName("kept-reader")
                        .tags(Map.of("team", "billing", "env", "")))
                .consumer().consumerARN();
        eventually("ACTIVE", () -> describe(client, consumerArn).consumerStatus() == ConsumerStatus.ACTIVE);
        eddy.restart();
        client.close();
        client = SdkClients.syncCbor(eddy.endpoint());
        ConsumerDescription after = describe(client, consumerArn);
        assertEquals(ConsumerStatus.ACTIVE, after.consumerStatus());
        assertEquals("kept-reader", after.consumerName());
        // The tags it was registered with are kept with it (the ARN-based tag actions read them).
        assertEquals(Map.of("team", "billing", "env", ""), eddy.server().streams().consumers()
                .describe(consumerArn, null, null).toCompletionStage().toCompletableFuture().get().tags());
    }

    @Test
    void tagsAtRegistrationAreCheckedAsKinesisChecksThem() throws Exception {
        Shards.createStream(client, "tagged", 1);
        String arn = streamArn("tagged");
        Map<String, String> tooMany = new java.util.HashMap<>();
        for (int i = 0; i < 51; i++) {
            tooMany.put("k" + i, "v");
        }
        assertThrows(software.amazon.awssdk.services.kinesis.model.ValidationException.class, () -> client
                .registerStreamConsumer(b -> b.streamARN(arn).consumerName("many").tags(tooMany)));
        assertThrows(software.amazon.awssdk.services.kinesis.model.ValidationException.class, () -> client
                .registerStreamConsumer(b -> b.streamARN(arn).consumerName("long").tags(Map.of("k", "v".repeat(257)))));
        assertEquals(0, client.listStreamConsumers(b -> b.streamARN(arn)).consumers().size(), "nothing registered");
        String consumerArn = client.registerStreamConsumer(b -> b.streamARN(arn).consumerName("ok")
                .tags(Map.of("owner", "ops"))).consumer().consumerARN();
        assertEquals(Map.of("owner", "ops"), eddy.server().streams().consumers().describe(consumerArn, null, null)
                .toCompletionStage().toCompletableFuture().get().tags());
    }
}
