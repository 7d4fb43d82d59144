package dev.eddy.api.kinesis;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The wire checks with the AWS SDK for Java v2 in its default CBOR mode. This JVM never sets
 * {@code aws.cborEnabled}; the JSON twin runs in its own fork.
 */
class KinesisSdkCborTest extends KinesisSdkChecks {

    private static ServerFixture fixture;

    @BeforeAll
    static void start() throws Exception {
        fixture = new ServerFixture();
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
        return "application/x-amz-cbor-1.1";
    }
}
