package dev.eddy.api;

import dev.eddy.platform.StreamMetrics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;

/**
 * The server's metrics registry: a Prometheus registry with the JVM and process meters, Vert.x's own meters
 * when the Vert.x instance was built by {@link #newVertx}, and Eddy's stream meters; or nothing at all when
 * metrics are off. Thread-safe.
 */
public final class Telemetry implements AutoCloseable {

    private final PrometheusMeterRegistry registry;
    private final JvmGcMetrics gc;

    private Telemetry(PrometheusMeterRegistry registry) {
        this.registry = registry;
        if (registry != null) {
            // Two of ProcessorMetrics' meters break Prometheus naming rules (promtool check metrics reports
            // process_cpu_time_ns_total's abbreviated unit and system_cpu_count's _count suffix): leave them out.
            registry.config().meterFilter(MeterFilter.deny(id -> id.getName().equals("process.cpu.time")
                    || id.getName().equals("system.cpu.count")));
            new JvmMemoryMetrics().bindTo(registry);
            new JvmThreadMetrics().bindTo(registry);
            new ClassLoaderMetrics().bindTo(registry);
            new ProcessorMetrics().bindTo(registry);
            bindProcessCpuSeconds(registry);
            new UptimeMetrics().bindTo(registry);
            new FileDescriptorMetrics().bindTo(registry);
            gc = new JvmGcMetrics();
            gc.bindTo(registry);
        } else {
            gc = null;
        }
    }

    /**
     * {@code process_cpu_seconds_total}, the standard Prometheus client's name for the CPU time the process has
     * used (all threads, user and system), in place of ProcessorMetrics' {@code process_cpu_time_ns_total}. The
     * bench reads it before and after a run to report the server's CPU per record. Absent when the JVM cannot
     * tell (no {@code com.sun.management} bean, or a negative answer).
     */
    private static void bindProcessCpuSeconds(MeterRegistry registry) {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun && sun.getProcessCpuTime() >= 0) {
            // Micrometer's Prometheus naming appends the base unit and _total: process.cpu -> process_cpu_seconds_total.
            FunctionCounter.builder("process.cpu", sun, bean -> Math.max(0, bean.getProcessCpuTime()) / 1e9)
                    .baseUnit("seconds")
                    .description("CPU time used by the server process, all threads, user and system")
                    .register(registry);
        }
    }

    /** A registry when {@code config.metrics()}, else none. */
    public static Telemetry of(EddyConfig config) {
        return new Telemetry(config.metrics() ? new PrometheusMeterRegistry(PrometheusConfig.DEFAULT) : null);
    }

    /** A Vert.x instance whose HTTP server, pools and event bus report into this registry (if any). */
    public Vertx newVertx() {
        if (registry == null) {
            return Vertx.vertx();
        }
        return Vertx.builder()
                .with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)))
                .withMetrics(new MicrometerMetricsFactory(registry))
                .build();
    }

    /** Whether metrics are on. */
    public boolean enabled() {
        return registry != null;
    }

    /** The registry, or {@code null} when metrics are off. */
    public MeterRegistry registry() {
        return registry;
    }

    /** Eddy's stream meters on this registry (going nowhere when metrics are off). */
    public StreamMetrics streamMetrics(EddyConfig config, String backend) {
        if (registry == null) {
            return StreamMetrics.disabled();
        }
        return new StreamMetrics(registry, StreamMetrics.shardLevelFor(config.shardLevelMetrics()), backend);
    }

    /** Every meter in the Prometheus text format (version 0.0.4). CPU-bound; call off the event loop. */
    public String scrapeBlocking() {
        return registry.scrape();
    }

    @Override
    public void close() {
        if (gc != null) {
            gc.close();
        }
        if (registry != null) {
            registry.close();
        }
    }
}
