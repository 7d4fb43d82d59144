package dev.eddy.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.HdrHistogram.Histogram;

import java.util.Locale;
import java.util.LongSummaryStatistics;

import static dev.eddy.bench.BenchCommand.ms;
import static dev.eddy.bench.BenchCommand.rate;
import static dev.eddy.bench.BenchCommand.round;

/** Prints the result of subscribe mode, or of latency mode (the same run with one subscriber), as text or as one JSON object. Stateless. */
final class SubscribeReport {

    private SubscribeReport() {
    }

    static String json(BenchOptions options, SubscribePhase.Result r) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        ObjectNode produce = root.putObject("produce");
        produce.put("planned", r.planned());
        produce.put("acknowledged", r.acknowledged());
        produce.put("putErrors", r.putErrors());
        if (r.firstPutError() != null) {
            produce.put("firstPutError", r.firstPutError());
        }
        produce.put("recordsPerSec", round(rate(r.acknowledged(), r.produceSeconds()), 1));
        produce.put("seconds", round(r.produceSeconds(), 3));
        produce.put("measuredAcks", r.ackFromScheduledMicros().getTotalCount());
        latency(produce.putObject("ackLatencyMs"), r.ackFromScheduledMicros());
        latency(produce.putObject("putLatencyMs"), r.putLatencyMicros());
        latency(produce.putObject("sendLagMs"), r.sendLagMicros());
        ObjectNode subscribe = root.putObject("subscribe");
        subscribe.put("subscribers", r.subscribers().size());
        subscribe.put("measuredEvents", r.fromScheduledMicros().getTotalCount());
        latency(subscribe.putObject("latencyMs"), r.fromScheduledMicros());
        latency(subscribe.putObject("latencyFromSendMs"), r.fromSentMicros());
        subscribe.put("maxBacklog", r.maxBacklog());
        subscribe.put("drainSeconds", round(r.drainSeconds(), 3));
        subscribe.put("clientEventLoopCpuPercent", round(r.eventLoopCpuPercent(), 1));
        subscribe.put("clientProcessCpuPercent", round(r.processCpuPercent(), 1));
        ArrayNode each = subscribe.putArray("perSubscriber");
        for (SubscribePhase.SubscriberResult s : r.subscribers()) {
            ObjectNode o = each.addObject();
            o.put("subscriber", s.index());
            o.put("events", s.events());
            o.put("distinct", s.distinct());
            o.put("lost", s.lost());
            o.put("duplicated", s.duplicated());
            o.put("reordered", s.reordered());
            o.put("corrupted", s.corrupted());
            o.put("errors", s.errorFrames());
            if (s.problem() != null) {
                o.put("problem", s.problem());
            }
        }
        r.serverCpu().json(root.putObject("serverCpu"));
        SubscribePhase.Verification v = r.verification();
        ObjectNode verify = root.putObject("verify");
        verify.put("ok", v.ok());
        verify.put("expected", v.expected());
        verify.put("lost", v.lost());
        verify.put("duplicated", v.duplicated());
        verify.put("reordered", v.reordered());
        verify.put("corrupted", v.corrupted());
        verify.put("errors", v.errors());
        verify.put("putErrors", v.putErrors());
        verify.put("receivedUnacknowledged", v.receivedUnacknowledged());
        ObjectNode config = root.putObject("config");
        config.put("mode", options.latency() ? "latency" : "subscribe");
        config.put("endpoint", options.endpoint().toString());
        config.put("stream", options.stream());
        config.put("producer", options.producer());
        config.put("wire", options.wire());
        if (r.putContentType() != null) {
            config.put("putContentType", r.putContentType());
        }
        config.put("prewarmCalls", SubscribePhase.PREWARM_RECORDS);
        config.put("subscribers", options.subscribers());
        config.put("subscriberKind", options.fanOut() ? "fan-out" : "websocket");
        config.put("rate", options.rate());
        config.put("durationSeconds", options.duration().toMillis() / 1000.0);
        config.put("warmupSeconds", options.warmup().toMillis() / 1000.0);
        config.put("recordSize", options.recordSize());
        config.put("shards", options.shards());
        config.put("keys", options.keys());
        config.put("eventLoops", options.eventLoops());
        config.put("http2", options.http2());
        config.put("latencyFrom", "scheduled send time (open loop)");
        return root.toString();
    }

    private static void latency(ObjectNode node, Histogram h) {
        node.put("p50", round(ms(h, 50), 3));
        node.put("p90", round(ms(h, 90), 3));
        node.put("p99", round(ms(h, 99), 3));
        node.put("p999", round(ms(h, 99.9), 3));
        node.put("max", round(h.getTotalCount() == 0 ? 0 : h.getMaxValue() / 1000.0, 3));
    }

    private static String latency(Histogram h) {
        return String.format(Locale.ROOT, "p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms",
                ms(h, 50), ms(h, 90), ms(h, 99), ms(h, 99.9), h.getTotalCount() == 0 ? 0 : h.getMaxValue() / 1000.0);
    }

    static String text(BenchOptions options, SubscribePhase.Result r) {
        StringBuilder sb = new StringBuilder();
        String producer = "producer " + options.producer() + ", wire " + options.wire()
                + (r.putContentType() != null ? " (" + r.putContentType() + ")" : "");
        if (options.latency()) {
            sb.append(String.format(Locale.ROOT, "eddy bench --latency: stream %s at %s, %,d records/s of %,d bytes "
                            + "for %s after a %s warm-up, %d shard(s), %d keys, one %s, %s%n",
                    options.stream(), options.endpoint(), options.rate(), options.recordSize(),
                    seconds(options.duration().toMillis()), seconds(options.warmup().toMillis()), options.shards(),
                    options.keys(), options.fanOut() ? "enhanced fan-out consumer (SubscribeToShard)"
                            : "WebSocket subscriber", producer));
        } else {
            sb.append(String.format(Locale.ROOT, "eddy bench --subscribe: stream %s at %s, %d %s, %,d "
                            + "records/s of %,d bytes for %s after a %s warm-up, %d shards, %d keys, %d client event "
                            + "loop(s), %s%n",
                    options.stream(), options.endpoint(), options.subscribers(),
                    options.fanOut() ? "enhanced fan-out consumers (SubscribeToShard on every shard)"
                            : "WebSocket subscribers", options.rate(), options.recordSize(),
                    seconds(options.duration().toMillis()), seconds(options.warmup().toMillis()), options.shards(),
                    options.keys(), options.eventLoops(), producer));
        }
        sb.append(String.format(Locale.ROOT, "produce: %,d of %,d records acknowledged (%,d failed) in %.2f s = "
                        + "%,.0f records/s, one PutRecord each%n", r.acknowledged(), r.planned(), r.putErrors(),
                r.produceSeconds(), rate(r.acknowledged(), r.produceSeconds())));
        sb.append(String.format(Locale.ROOT, "acknowledgement latency (PutRecord answered), %,d records after the "
                + "warm-up:%n", r.ackFromScheduledMicros().getTotalCount()));
        sb.append("  from the scheduled send: ").append(latency(r.ackFromScheduledMicros())).append(System.lineSeparator());
        sb.append("  from the actual send:    ").append(latency(r.putLatencyMicros())).append(System.lineSeparator());
        sb.append("  send behind schedule:    ").append(latency(r.sendLagMicros())).append(System.lineSeparator());
        if (r.firstPutError() != null) {
            sb.append("  first put error: ").append(r.firstPutError()).append(System.lineSeparator());
        }
        sb.append(String.format(Locale.ROOT, "put-to-receive latency, %,d events after the warm-up:%n",
                r.fromScheduledMicros().getTotalCount()));
        sb.append("  from the scheduled send: ").append(latency(r.fromScheduledMicros())).append(System.lineSeparator());
        sb.append("  from the actual send:    ").append(latency(r.fromSentMicros())).append(System.lineSeparator());
        LongSummaryStatistics received = r.subscribers().stream()
                .mapToLong(SubscribePhase.SubscriberResult::distinct).summaryStatistics();
        sb.append(String.format(Locale.ROOT, "subscribers: %,d to %,d records each; largest backlog %,d records; "
                        + "caught up %.2f s after the producer stopped; client event loops %.0f%% of a core, "
                        + "bench process %.0f%%%n",
                received.getMin(), received.getMax(), r.maxBacklog(), r.drainSeconds(), r.eventLoopCpuPercent(),
                r.processCpuPercent()));
        sb.append(r.serverCpu().text("server CPU")).append(System.lineSeparator());
        SubscribePhase.Verification v = r.verification();
        sb.append(String.format(Locale.ROOT, "verify: %s: %,d acknowledged records x %d subscribers; lost %d, "
                        + "duplicated %d, out of shard order %d, corrupted %d, error frames or early closes %d, "
                        + "put errors %d%n",
                v.ok() ? "OK" : "FAILED", v.expected(), r.subscribers().size(), v.lost(), v.duplicated(),
                v.reordered(), v.corrupted(), v.errors(), v.putErrors()));
        r.subscribers().stream().filter(s -> s.problem() != null).limit(5).forEach(s ->
                sb.append("  subscriber ").append(s.index()).append(": ").append(s.problem())
                        .append(System.lineSeparator()));
        return sb.toString();
    }

    private static String seconds(long millis) {
        return millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
    }
}
