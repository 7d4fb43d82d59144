package dev.eddy.api.kinesis;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The wire checks with the AWS SDK for Java v2 in JSON mode. The SDK reads {@code aws.cborEnabled} when
 * a client is built, so the property is set only while this class's client is built (the captured
 * Content-Type proves the mode).
 */
class KinesisSdkJsonTest extends KinesisSdkChecks {

    private static ServerFixture fixture;

    @BeforeAll
    static void start() throws Exception {
        String previous = System.getProperty("aws.cborEnabled");
        System.setProperty("aws.cborEnabled", "false");
        try {
            fixture = new ServerFixture();
        } finally {
            if (previous == null) {
                System.clearProperty("aws.cborEnabled");
            } else {
                System.setProperty("aws.cborEnabled", previous);
            }
        }
    }

    @AfterAll
    static void stop() throws Exception {
        fixture.close();
    }

    @Override
    ServerFixture fixture() {
        return fixture;
    }

    @Override
    String expectedContentType() {
        return "application/x-amz-json-1.1";
    }
}
