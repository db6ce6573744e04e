package dev.labelflight.server.metrics;

import dev.labelflight.flight.FlightTraffic;
import dev.labelflight.verticles.bus.Addresses;
import dev.labelflight.verticles.node.NodeResources;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.flight.FlightMethod;

/**
 * A node's Prometheus registry: Vert.x's own Micrometer metrics (event loops, event bus, HTTP, pools, JVM)
 * plus LabelFlight's: jobs by state and path, chunk evaluation latency, queued chunk tasks and the users waiting,
 * memory permits, resident datasets, Flight calls and bytes, label-cache hits and misses.
 */
public final class NodeMetrics {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Timer chunkLatency = Timer.builder("labelflight.chunk.latency")
      .description("LF evaluation time of one chunk task (queue and resident paths)")
      .publishPercentileHistogram()
      .minimumExpectedValue(Duration.ofMillis(1))
      .maximumExpectedValue(Duration.ofMinutes(1))
      .register(registry);
  private final MultiGauge jobs = MultiGauge.builder("labelflight.jobs")
      .description("Jobs the coordinator retains, by state and path (queue, resident, pending)").register(registry);
  /** Totals only: a label per user would hand every user who may scrape the other users' names. */
  private final AtomicLong queueDepth = new AtomicLong();
  private final AtomicLong queueUsers = new AtomicLong();
  private final AtomicLong residents = new AtomicLong();
  private final AtomicLong residentBytes = new AtomicLong();
  private Vertx vertx;

  /** Vert.x built with this registry (call before {@link #bind}). */
  public VertxBuilder vertxBuilder(io.vertx.core.VertxOptions options) {
    // Vert.x's event-bus metrics carry no address label by default: per-job addresses add no series.
    options.setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(true));
    return Vertx.builder().with(options).withMetrics(new MicrometerMetricsFactory(registry));
  }

  /** For the coordinator: one finished chunk's evaluation time. */
  public void chunkEvaluated(long nanos) {
    chunkLatency.record(nanos, TimeUnit.NANOSECONDS);
  }

  /** Registers the node's gauges and counters once its resources and Flight endpoint exist. */
  public void bind(Vertx vertx, NodeResources node, FlightTraffic traffic) {
    this.vertx = vertx;
    Tags nodeTag = Tags.of("node", node.nodeId());
    Gauge.builder("labelflight.memory.permits", node.memoryPool(), b -> b.maxBytes()).baseUnit("bytes")
        .tags(nodeTag.and("kind", "total")).description("The node's memory budget").register(registry);
    Gauge.builder("labelflight.memory.permits", node.memoryPool(), b -> b.freeBytes()).baseUnit("bytes")
        .tags(nodeTag.and("kind", "free")).description("The node's memory budget").register(registry);
    Gauge.builder("labelflight.arrow.allocated", node.allocator(), a -> a.getAllocatedMemory()).baseUnit("bytes")
        .tags(nodeTag).description("Off-heap memory held by Arrow buffers now").register(registry);
    Gauge.builder("labelflight.arrow.peak", node.allocator(), a -> a.getPeakMemoryAllocation()).baseUnit("bytes")
        .tags(nodeTag).description("Most off-heap memory Arrow buffers held at once since start").register(registry);
    Gauge.builder("labelflight.queue.depth", queueDepth, AtomicLong::get)
        .description("Chunk tasks waiting on the task queue").register(registry);
    Gauge.builder("labelflight.queue.users", queueUsers, AtomicLong::get)
        .description("Users with chunk tasks waiting on the task queue").register(registry);
    Gauge.builder("labelflight.resident.datasets", residents, AtomicLong::get)
        .description("Resident dataset copies loaded").register(registry);
    Gauge.builder("labelflight.resident", residentBytes, AtomicLong::get).baseUnit("bytes")
        .description("Memory held by resident dataset copies").register(registry);
    for (FlightMethod method : FlightMethod.values()) {
      FunctionCounter.builder("labelflight.flight.calls", traffic, t -> t.calls(method))
          .tag("method", method.name().toLowerCase(java.util.Locale.ROOT)).description("Flight calls by method")
          .register(registry);
    }
    FunctionCounter.builder("labelflight.flight", traffic, FlightTraffic::bytesIn).baseUnit("bytes")
        .tag("direction", "in").description("Arrow bytes received by DoPut and sent by DoGet").register(registry);
    FunctionCounter.builder("labelflight.flight", traffic, FlightTraffic::bytesOut).baseUnit("bytes")
        .tag("direction", "out").description("Arrow bytes received by DoPut and sent by DoGet").register(registry);
    var cache = node.labels().cache();
    FunctionCounter.builder("labelflight.label.cache.hits", cache, c -> c.hits())
        .description("LF columns found in the label cache").register(registry);
    FunctionCounter.builder("labelflight.label.cache.misses", cache, c -> c.misses())
        .description("LF columns not in the label cache (computed)").register(registry);
    // Loads the exposition classes now, not on the first scrape.
    registry.scrape();
  }

  /**
   * Counters of authentication: wrong credentials checked, credentials refused unchecked by the throttle,
   * PBKDF2 hashes computed (all callers of this process).
   */
  public void bindAuth(dev.labelflight.engine.auth.UserDirectory users) {
    FunctionCounter.builder("labelflight.auth.failures", users, u -> u.failures())
        .description("Wrong credentials checked (each hashed against the users)").register(registry);
    FunctionCounter.builder("labelflight.auth.throttled", users, u -> u.throttled())
        .description("Credentials refused without checking: too many failures from their address, user or the node")
        .register(registry);
    FunctionCounter.builder("labelflight.auth.hashes", users, u -> dev.labelflight.engine.auth.SecretHash.evaluations())
        .description("PBKDF2 evaluations").register(registry);
  }

  /** Asks the coordinator for its counts, then renders every metric (on a worker: the budget may call Hazelcast). */
  public Future<String> scrape() {
    return vertx.eventBus().<JsonObject>request(Addresses.NODE_STATS, new JsonObject(),
        dev.labelflight.verticles.bus.LocalDelivery.options()).compose(reply ->
        vertx.executeBlocking(() -> {
          JsonObject stats = reply.body();
          List<MultiGauge.Row<?>> jobRows = new ArrayList<>();
          stats.getJsonObject("jobs").forEach(e -> {
            String[] statePath = e.getKey().split("/", 2);
            jobRows.add(MultiGauge.Row.of(Tags.of("state", statePath[0], "path", statePath[1]), (Number) e.getValue()));
          });
          jobs.register(jobRows, true);
          long depth = 0;
          long waiting = 0;
          for (var e : stats.getJsonObject("queueDepth")) {
            long n = ((Number) e.getValue()).longValue();
            depth += n;
            waiting += n > 0 ? 1 : 0;
          }
          queueDepth.set(depth);
          queueUsers.set(waiting);
          residents.set(stats.getLong("residents"));
          residentBytes.set(stats.getLong("residentBytes"));
          return registry.scrape();
        }, false));
  }
}
