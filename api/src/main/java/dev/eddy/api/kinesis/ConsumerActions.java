package dev.eddy.api.kinesis;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eddy.platform.StreamConsumer;
import dev.eddy.platform.Streams;
import io.vertx.core.Future;

import java.time.Clock;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The enhanced fan-out consumer actions: RegisterStreamConsumer, DescribeStreamConsumer, ListStreamConsumers,
 * DeregisterStreamConsumer. Each validates at the edge, then calls the platform's registry. Thread-safe.
 */
final class ConsumerActions {

    private static final Pattern CONSUMER_NAME = Pattern.compile("[a-zA-Z0-9_.-]+");
    /** A consumer ARN as the Kinesis API reference constrains it (also SubscribeToShard's ConsumerARN). */
    static final Pattern CONSUMER_ARN = Pattern.compile("^(arn):aws.*:kinesis:.*:\\d{12}:.*stream/[a-zA-Z0-9_.-]+/consumer/[a-zA-Z0-9_.-]+:[0-9]+");

    private final Streams streams;
    private final Clock clock;

    ConsumerActions(Streams streams, Clock clock) {
        this.streams = streams;
        this.clock = clock;
    }

    Future<ObjectNode> registerStreamConsumer(Params p) {
        String streamArn = p.string("StreamARN");
        String name = p.string("ConsumerName");
        Validator v = new Validator().required("streamARN", streamArn).streamArn("streamARN", streamArn)
                .required("consumerName", name).length("consumerName", name, 1, 128)
                .pattern("consumerName", name, CONSUMER_NAME);
        Map<String, String> tags = TagParams.parse(p, "Tags", 50, v);
        v.check();
        return streams.consumers().register(streamArn, name, tags).map(c -> {
            ObjectNode out = Shapes.object();
            consumer(out.putObject("Consumer"), c);
            return out;
        });
    }

    Future<ObjectNode> describeStreamConsumer(Params p) {
        String streamArn = p.string("StreamARN");
        String name = p.string("ConsumerName");
        String arn = p.string("ConsumerARN");
        validate(streamArn, name, arn);
        return streams.consumers().describe(arn, streamArn, name).map(c -> {
            ObjectNode out = Shapes.object();
            ObjectNode d = out.putObject("ConsumerDescription");
            consumer(d, c);
            d.put("StreamARN", c.streamArn());
            return out;
        });
    }

    Future<ObjectNode> listStreamConsumers(Params p) {
        String streamArn = p.string("StreamARN");
        Integer max = p.integer("MaxResults");
        String nextToken = p.string("NextToken");
        new Validator().required("streamARN", streamArn).streamArn("streamARN", streamArn)
                .range("maxResults", max, 1, 10000).length("nextToken", nextToken, 1, 1048576).check();
        String after = nextToken == null ? null : PageToken.decode(nextToken, "consumers", clock.millis()).after();
        int limit = max == null ? 100 : max;
        return streams.consumers().list(streamArn).map(all -> {
            ObjectNode out = Shapes.object();
            ArrayNode list = out.putArray("Consumers");
            String last = null;
            for (StreamConsumer c : all) {
                if (after != null && c.name().compareTo(after) <= 0) {
                    continue;
                }
                if (list.size() == limit) {
                    out.put("NextToken", new PageToken("consumers", "", last, "", "", -1, clock.millis()).encode());
                    break;
                }
                consumer(list.addObject(), c);
                last = c.name();
            }
            return out;
        });
    }

    Future<ObjectNode> deregisterStreamConsumer(Params p) {
        String streamArn = p.string("StreamARN");
        String name = p.string("ConsumerName");
        String arn = p.string("ConsumerARN");
        validate(streamArn, name, arn);
        return streams.consumers().deregister(arn, streamArn, name).map(v -> Shapes.object());
    }

    /** A consumer is named by its ARN, or by its stream's ARN and its name. */
    private static void validate(String streamArn, String name, String arn) {
        Validator v = new Validator().streamArn("streamARN", streamArn).length("consumerName", name, 1, 128)
                .pattern("consumerName", name, CONSUMER_NAME).length("consumerARN", arn, 1, 2048)
                .pattern("consumerARN", arn, CONSUMER_ARN);
        v.check();
        if (arn == null && (streamArn == null || name == null)) {
            throw KinesisException.invalidArgument("Either ConsumerARN or both StreamARN and ConsumerName must be"
                    + " given.");
        }
    }

    private static void consumer(ObjectNode node, StreamConsumer c) {
        node.put("ConsumerName", c.name());
        node.put("ConsumerARN", c.arn());
        node.put("ConsumerStatus", c.status().name());
        Shapes.timestamp(node, "ConsumerCreationTimestamp", c.createdMillis());
    }
}
