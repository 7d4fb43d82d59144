package dev.eddy.api.ws;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StartPositionTest {

    @Test
    void parsesEveryForm() {
        assertEquals(StartPosition.Kind.LATEST, StartPosition.parse(null).kind());
        assertEquals(StartPosition.Kind.LATEST, StartPosition.parse("LATEST").kind());
        assertEquals(StartPosition.Kind.TRIM_HORIZON, StartPosition.parse("TRIM_HORIZON").kind());
        String seq = "49" + "0".repeat(54);
        assertEquals(seq, StartPosition.parse(seq).sequenceNumber());
        long millis = Instant.parse("2026-01-31T12:00:00Z").toEpochMilli();
        assertEquals(millis, StartPosition.parse(Long.toString(millis)).timestampMillis());
        assertEquals(millis, StartPosition.parse("2026-01-31T12:00:00Z").timestampMillis());
        assertEquals(millis, StartPosition.parse("2026-01-31T14:00:00+02:00").timestampMillis());
        // '+' decoded to a space by the query string
        assertEquals(millis, StartPosition.parse("2026-01-31T14:00:00 02:00").timestampMillis());
    }

    @Test
    void aBadValueIsNamedWithCode4400() {
        SubscribeException e = assertThrows(SubscribeException.class, () -> StartPosition.parse("yesterday"));
        assertEquals(CloseCodes.BAD_PARAMETER, e.closeCode());
        assertTrue(e.getMessage().contains("'yesterday'"));
    }

    @Test
    void closeReasonsFitAFrame() {
        String reason = CloseCodes.reason("é".repeat(200));
        assertTrue(reason.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= 123);
    }
}
