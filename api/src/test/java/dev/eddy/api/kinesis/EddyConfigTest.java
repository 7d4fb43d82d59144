package dev.eddy.api.kinesis;

import dev.eddy.api.EddyConfig;
import dev.eddy.api.TlsSettings;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Settings: defaults, flag > environment > default, --help, and bad values. */
class EddyConfigTest {

    @Test
    void defaultsServeMapdbOnPort4567() {
        EddyConfig c = EddyConfig.parse(new String[0], Map.of());
        assertEquals(4567, c.port());
        assertEquals("0.0.0.0", c.host());
        assertEquals(Path.of("./data"), c.dataDir());
        assertEquals("mapdb", c.storage());
        assertEquals("us-east-1", c.region());
        assertEquals("000000000000", c.accountId());
        assertEquals(EddyConfig.defaults(), c);
    }

    @Test
    void flagBeatsEnvironmentBeatsDefault() {
        Map<String, String> env = Map.of("EDDY_PORT", "5000", "EDDY_HOST", "127.0.0.1", "EDDY_DATA_DIR", "/tmp/e",
                "EDDY_STORAGE", "memory");
        EddyConfig fromEnv = EddyConfig.parse(new String[0], env);
        assertEquals(5000, fromEnv.port());
        assertEquals("127.0.0.1", fromEnv.host());
        assertEquals(Path.of("/tmp/e"), fromEnv.dataDir());
        assertEquals("memory", fromEnv.storage());
        EddyConfig flags = EddyConfig.parse(new String[]{"--port", "6000", "--data-dir=/var/eddy", "--storage=mapdb"}, env);
        assertEquals(6000, flags.port());
        assertEquals(Path.of("/var/eddy"), flags.dataDir());
        assertEquals("mapdb", flags.storage());
        assertEquals("127.0.0.1", flags.host());
    }

    @Test
    void badValuesNameTheSettingAndTheExpectation() {
        IllegalArgumentException port = assertThrows(IllegalArgumentException.class,
                () -> EddyConfig.parse(new String[]{"--port", "http"}, Map.of()));
        assertTrue(port.getMessage().contains("--port") && port.getMessage().contains("0..65535"), port.getMessage());
        IllegalArgumentException env = assertThrows(IllegalArgumentException.class,
                () -> EddyConfig.parse(new String[0], Map.of("EDDY_PORT", "70000")));
        assertTrue(env.getMessage().contains("EDDY_PORT"), env.getMessage());
        IllegalArgumentException storage = assertThrows(IllegalArgumentException.class,
                () -> EddyConfig.parse(new String[]{"--storage=cassandra"}, Map.of()));
        assertTrue(storage.getMessage().contains("mapdb, postgres or memory"), storage.getMessage());
        IllegalArgumentException noUrl = assertThrows(IllegalArgumentException.class,
                () -> EddyConfig.parse(new String[]{"--storage=postgres"}, Map.of()));
        assertTrue(noUrl.getMessage().contains("--pg-url") && noUrl.getMessage().contains("EDDY_PG_URL"),
                noUrl.getMessage());
        EddyConfig pg = EddyConfig.parse(new String[]{"--storage", "postgres"},
                Map.of("EDDY_PG_URL", "postgresql://eddy:secret@db:5432/events", "EDDY_PG_POOL_SIZE", "16"));
        assertEquals("postgresql://eddy:secret@db:5432/events", pg.pgUrl());
        assertEquals(16, pg.pgPoolSize());
        assertEquals("postgresql://eddy:***@db:5432/events", pg.pgUrlForDisplay());
        assertThrows(IllegalArgumentException.class, () -> EddyConfig.parse(new String[]{"--nope=1"}, Map.of()));
        assertThrows(IllegalArgumentException.class, () -> EddyConfig.parse(new String[]{"--port"}, Map.of()));
        assertThrows(IllegalArgumentException.class, () -> EddyConfig.parse(new String[]{"stray"}, Map.of()));
    }

    @Test
    void helpListsEverySettingWithFlagEnvDefaultAndDescription() {
        String help = EddyConfig.help();
        for (String expected : new String[]{"--port", "EDDY_PORT", "4567", "--host", "EDDY_HOST", "0.0.0.0",
                "--data-dir", "EDDY_DATA_DIR", "./data", "--storage", "EDDY_STORAGE", "mapdb", "--region",
                "EDDY_REGION", "us-east-1", "--account", "EDDY_ACCOUNT", "000000000000", "--help", "memory",
                "--tls-port", "EDDY_TLS_PORT", "--tls-cert", "EDDY_TLS_CERT", "--tls-key", "EDDY_TLS_KEY"}) {
            assertTrue(help.contains(expected), expected + " missing from:\n" + help);
        }
        assertTrue(EddyConfig.wantsHelp(new String[]{"--port", "1", "--help"}));
    }

    @Test
    void tlsIsOffByDefaultAndOnWithAPortFromAFlagOrTheEnvironment() {
        assertEquals(TlsSettings.OFF, EddyConfig.defaults().tls());
        assertFalse(EddyConfig.defaults().tls().enabled());

        EddyConfig flag = EddyConfig.parse(new String[]{"--tls-port", "4443"}, Map.of());
        assertEquals(TlsSettings.onPort(4443), flag.tls());
        assertTrue(flag.tls().enabled() && flag.tls().selfSigned());
        assertEquals(4567, flag.port(), "the cleartext port stays");

        EddyConfig env = EddyConfig.parse(new String[0], Map.of("EDDY_TLS_PORT", "0",
                "EDDY_TLS_CERT", "/etc/eddy/cert.pem", "EDDY_TLS_KEY", "/etc/eddy/key.pem"));
        assertEquals(new TlsSettings(0, Path.of("/etc/eddy/cert.pem"), Path.of("/etc/eddy/key.pem")), env.tls());
        assertFalse(env.tls().selfSigned());

        EddyConfig flags = EddyConfig.parse(new String[]{"--tls-port=8443", "--tls-cert", "c.pem", "--tls-key=k.pem"},
                Map.of("EDDY_TLS_PORT", "9443", "EDDY_TLS_CERT", "/x.pem"));
        assertEquals(new TlsSettings(8443, Path.of("c.pem"), Path.of("k.pem")), flags.tls());
        // An empty flag turns off what the environment turned on.
        assertEquals(TlsSettings.OFF, EddyConfig.parse(new String[]{"--tls-port="}, Map.of("EDDY_TLS_PORT", "4443")).tls());
        // Both ports may be picked freely.
        assertEquals(0, EddyConfig.parse(new String[]{"--port", "0", "--tls-port", "0"}, Map.of()).tls().port());
    }

    @Test
    void badTlsSettingsNameTheSettingAndTheExpectation() {
        IllegalArgumentException port = assertThrows(IllegalArgumentException.class,
                () -> EddyConfig.parse(new String[]{"--tls-port", "https"}, Map.of()));
        assertTrue(port.getMessage().contains("--tls-port") && port.getMessage().contains("0..65535"), port.getMessage());
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                () -> EddyConfig.parse(new String[0], Map.of("EDDY_TLS_PORT", "70000")));
        assertTrue(range.getMessage().contains("EDDY_TLS_PORT"), range.getMessage());
        IllegalArgumentException same = assertThrows(IllegalArgumentException.class,
                () -> EddyConfig.parse(new String[]{"--tls-port", "4567"}, Map.of()));
        assertTrue(same.getMessage().contains("--tls-port") && same.getMessage().contains("differ"), same.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> EddyConfig.parse(new String[]{"--tls-port", "5000", "--port", "5000"}, Map.of()));
        assertThrows(IllegalArgumentException.class, () -> EddyConfig.defaults().withTls(TlsSettings.onPort(4567)));

        IllegalArgumentException certOnly = assertThrows(IllegalArgumentException.class,
                () -> EddyConfig.parse(new String[]{"--tls-port", "4443", "--tls-cert", "cert.pem"}, Map.of()));
        assertTrue(certOnly.getMessage().contains("--tls-cert and --tls-key"), certOnly.getMessage());
        IllegalArgumentException keyOnly = assertThrows(IllegalArgumentException.class,
                () -> EddyConfig.parse(new String[]{"--tls-port", "4443"}, Map.of("EDDY_TLS_KEY", "key.pem")));
        assertTrue(keyOnly.getMessage().contains("--tls-cert and --tls-key"), keyOnly.getMessage());
        IllegalArgumentException noPort = assertThrows(IllegalArgumentException.class,
                () -> EddyConfig.parse(new String[]{"--tls-cert", "cert.pem", "--tls-key", "key.pem"}, Map.of()));
        assertTrue(noPort.getMessage().contains("need --tls-port"), noPort.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TlsSettings(65536, null, null));
    }

    @Test
    void withersAndPlatformOptions() {
        EddyConfig c = EddyConfig.defaults().withPort(0).withHost("127.0.0.1").withDataDir(Path.of("x"))
                .withStorage("memory").withClock(java.time.Clock.systemDefaultZone());
        assertEquals(0, c.port());
        assertEquals("memory", c.storage());
        assertEquals(c.clock(), c.platformOptions().clock());
        assertEquals("us-east-1", c.platformOptions().region());
    }
}
