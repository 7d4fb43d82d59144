package dev.eddy.api.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Twenty writers append to one aggregate over REST, each with the version it just read: every version
 * is won by exactly one append, the losers get 409 with the current version and retry, and the final
 * history has every version from 0 with no gap and no duplicate.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RestOptimisticConcurrencyTest {

    private static final String STREAM = "occ";
    private static final String KEY = "order-42";
    private static final int WRITERS = 20;
    private static final int EVENTS_PER_WRITER = 10;

    private EddyFixture eddy;
    private RestClient rest;

    @BeforeAll
    void start() {
        eddy = EddyFixture.start(Clock.systemUTC());
        rest = new RestClient(eddy.endpoint());
        rest.createStream(STREAM, 2);
    }

    @AfterAll
    void stop() {
        eddy.close();
    }

    @Test
    void eachVersionIsWonExactlyOnce() throws Exception {
        Map<Long, String> winners = new ConcurrentHashMap<>();
        AtomicInteger conflicts = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
        try {
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                writers.add(pool.submit(() -> {
                    go.await();
                    write(writer, winners, conflicts);
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : writers) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        int total = WRITERS * EVENTS_PER_WRITER;
        assertEquals(total, winners.size(), "versions won");
        assertTrue(conflicts.get() > 0, "twenty racing writers must see some conflicts");

        List<JsonNode> history = new ArrayList<>();
        long from = 0;
        for (int page = 0; page < 100; page++) {
            JsonNode body = rest.get(RestClient.events(STREAM, KEY) + "?fromVersion=" + from + "&limit=64").body();
            body.get("events").forEach(history::add);
            if (body.get("nextVersion").isNull()) {
                break;
            }
            from = body.get("nextVersion").asLong();
        }
        assertEquals(total, history.size(), "history length");
        for (int v = 0; v < total; v++) {
            JsonNode e = history.get(v);
            assertEquals(v, e.get("version").asLong(), "versions 0.. without gaps or duplicates");
            assertEquals(winners.get((long) v), e.get("id").asText(), "the event of version " + v + " is its winner's");
            assertEquals(winners.get((long) v), e.get("data").get("by").asText() + "-" + e.get("data").get("n").asInt());
        }
    }

    private void write(int writer, Map<Long, String> winners, AtomicInteger conflicts) {
        String path = RestClient.events(STREAM, KEY);
        for (int n = 0; n < EVENTS_PER_WRITER; ) {
            Long last = lastVersion(path);
            String id = "w" + writer + "-" + n;
            String expected = last == null ? "\"none\"" : last.toString();
            RestClient.Reply r = rest.post(path, "{\"expectedVersion\":" + expected + ",\"events\":[{\"id\":\"" + id
                    + "\",\"type\":\"Incremented\",\"data\":{\"by\":\"w" + writer + "\",\"n\":" + n + "}}]}");
            if (r.status() == 201) {
                long version = r.body().get("events").get(0).get("version").asLong();
                assertEquals(last == null ? 0 : last + 1, version, "the appended event follows the expected one");
                String previous = winners.putIfAbsent(version, id);
                assertNull(previous, "version " + version + " won twice: by " + previous + " and " + id);
                n++;
            } else if (r.status() == 409) {
                assertEquals("https://eddy.dev/problems/version-conflict", r.problemType());
                assertEquals("application/problem+json", r.contentType());
                JsonNode current = r.body().get("currentVersion");
                assertNotNull(current, "a conflict names the current version");
                assertTrue(current.isNumber() && (last == null || current.asLong() > last),
                        "the current version moved past the expected one: " + r.body());
                conflicts.incrementAndGet();
            } else {
                fail("every append is 201 or 409, got " + r);
            }
        }
    }

    private Long lastVersion(String path) {
        // The aggregate's last version: page through to the end (the latest page is small).
        long from = 0;
        Long last = null;
        while (true) {
            JsonNode body = rest.get(path + "?fromVersion=" + from + "&limit=1000").body();
            JsonNode events = body.get("events");
            if (!events.isEmpty()) {
                last = events.get(events.size() - 1).get("version").asLong();
            }
            if (body.get("nextVersion").isNull()) {
                return last;
            }
            from = body.get("nextVersion").asLong();
        }
    }
}
