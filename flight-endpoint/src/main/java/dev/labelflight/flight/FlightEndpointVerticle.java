package dev.labelflight.flight;

import dev.labelflight.flight.admin.AdminHandler;
import dev.labelflight.flight.call.ActionSpec;
import dev.labelflight.flight.call.Admission;
import dev.labelflight.flight.call.BusCalls;
import dev.labelflight.flight.call.CallSlots;
import dev.labelflight.flight.call.TicketSpec;
import dev.labelflight.flight.cluster.CallRouter;
import dev.labelflight.flight.cluster.NodeClients;
import dev.labelflight.flight.cluster.Relay;
import dev.labelflight.flight.datasets.DatasetsHandler;
import dev.labelflight.flight.jobs.JobsHandler;
import dev.labelflight.flight.models.ModelsHandler;
import dev.labelflight.flight.results.ResultsHandler;
import dev.labelflight.flight.review.LfSetsHandler;
import dev.labelflight.engine.devset.DevSetStore;
import dev.labelflight.flight.stream.OpenStreams;
import dev.labelflight.flight.stream.Streams;
import dev.labelflight.flight.upload.UploadHandler;
import java.util.ArrayList;
import java.util.List;
import dev.labelflight.engine.auth.Tls;
import dev.labelflight.engine.auth.UserDirectory;
import dev.labelflight.flight.auth.FlightAuthenticator;
import dev.labelflight.verticles.bus.LabelFlightApi;
import dev.labelflight.verticles.node.NodeResources;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.flight.FlightServer;
import org.apache.arrow.flight.Location;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.util.AutoCloseables;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the Arrow Flight server for the life of the verticle. Config: {@code host}, {@code port},
 * {@code threads} and {@code queue} (at most {@code threads + queue} calls at once, {@link CallSlots}), {@code streamThreads} (the pool that
 * does DoGet streams' work) and {@code streamQueue} (streams beyond those threads: the node serves at most
 * {@code streamThreads + streamQueue} streams at once), {@code maxStreamsPerUser}, {@code streamStallMs}
 * (a stream whose client takes nothing that long is cancelled), {@code maxInboundMessageBytes},
 * {@code backpressureThreshold}, {@code callTimeoutMs}, {@code tls: {certFile, keyFile}} (PEM; TLS when
 * both are set). With a user directory that is enabled, every call needs a user's bearer token
 * ({@link FlightAuthenticator}).
 */
public final class FlightEndpointVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(FlightEndpointVerticle.class);

  private final NodeResources node;
  private final NodeClients clients;
  private final UserDirectory users;
  private BufferAllocator allocator;
  private ExecutorService executor;
  private CallSlots callSlots;
  private ExecutorService streamExecutor;
  private ExecutorService relayExecutor;
  private OpenStreams openStreams;
  private LabelFlightProducer producer;
  private FlightServer server;
  private final FlightTraffic traffic = new FlightTraffic();

  /** Calls are authenticated against {@code users} when it is enabled; {@code clients} reach the other nodes. */
  public FlightEndpointVerticle(NodeResources node, UserDirectory users, NodeClients clients) {
    this.node = node;
    this.users = users;
    this.clients = clients;
  }

  @Override
  public Future<?> start() {
    JsonObject conf = config();
    String host = conf.getString("host", "127.0.0.1");
    int port = conf.getInteger("port", 8815);
    int threads = conf.getInteger("threads", 16);
    long callTimeoutMs = conf.getLong("callTimeoutMs", 60_000L);
    return vertx.executeBlocking(() -> {
      JsonObject tlsConf = conf.getJsonObject("tls", new JsonObject());
      Tls tls = Tls.of(tlsConf.getString("certFile"), tlsConf.getString("keyFile"));
      Location location = tls != null ? Location.forGrpcTls(host, port) : Location.forGrpcInsecure(host, port);
      allocator = node.allocator().newChildAllocator("flight", 0, Long.MAX_VALUE);
      // Calls and gRPC's own callbacks (which hand a waiting upload its messages) share this executor: it
      // grows as needed, so waiting calls never hold up the callbacks they wait for; CallSlots bounds the
      // calls themselves (threads + queue), so the threads stay bounded too.
      int maxCalls = threads + conf.getInteger("queue", 1024);
      executor = new ThreadPoolExecutor(threads, Integer.MAX_VALUE, 60, TimeUnit.SECONDS, new SynchronousQueue<>(),
          daemonThreads("flight-"));
      callSlots = new CallSlots(maxCalls);
      int streamThreads = conf.getInteger("streamThreads", 16);
      int maxStreams = streamThreads + conf.getInteger("streamQueue", 256);
      openStreams = new OpenStreams(conf.getInteger("maxStreamsPerUser", 8), maxStreams,
          conf.getLong("streamStallMs", 120_000L));
      // Each open stream has at most one step queued: a queue of maxStreams never refuses one.
      streamExecutor = boundedPool("flight-stream-", streamThreads, maxStreams);
      // Relayed streams block on the other node between batches: a thread each, up to the stream limit.
      relayExecutor = new ThreadPoolExecutor(0, maxStreams, 60, TimeUnit.SECONDS, new SynchronousQueue<>(),
          daemonThreads("flight-relay-"));
      producer = producer(location, callTimeoutMs);
      FlightServer.Builder builder = FlightServer.builder(allocator, location, producer);
      if (tls != null) {
        builder.useTls(tls.certFile().toFile(), tls.keyFile().toFile());
      }
      if (users.enabled()) {
        FlightAuthenticator.install(builder, users, clients.nodeSecret());
      }
      server = builder
          .executor(executor)
          .middleware(FlightTraffic.KEY, traffic)
          .maxInboundMessageSize(conf.getInteger("maxInboundMessageBytes", 64 << 20))
          .backpressureThreshold(conf.getInteger("backpressureThreshold", 16 << 20))
          .build()
          .start();
      LOG.info("Flight listening on {}://{}:{}{}", tls != null ? "grpc+tls" : "grpc", host, server.getPort(),
          users.enabled() ? " (bearer token required)" : " (no authentication)");
      return server.getPort();
    });
  }

  /** The producer and its handlers: the one place that says which handler serves which call. */
  private LabelFlightProducer producer(Location location, long callTimeoutMs) {
    BusCalls bus = new BusCalls(callTimeoutMs);
    CallRouter router = new CallRouter(node.directory());
    Relay relay = new Relay(clients, traffic, callTimeoutMs);
    Admission admission = new Admission();
    DatasetsHandler datasets = new DatasetsHandler(allocator, node.datasets(), location, router, relay, bus, admission);
    ResultsHandler results = new ResultsHandler(allocator, node.labels(), location, bus);
    JobsHandler jobs = new JobsHandler(bus);
    ModelsHandler models = new ModelsHandler(bus);
    AdminHandler admin = new AdminHandler(allocator, node.datasets(), node.limits());
    LfSetsHandler lfSets = new LfSetsHandler(allocator, node.datasets(), new DevSetStore(node.dataDir()), bus);
    List<ActionSpec> actions = new ArrayList<>();
    actions.addAll(jobs.actions());
    actions.addAll(datasets.actions());
    actions.addAll(models.actions());
    actions.addAll(lfSets.actions());
    actions.addAll(admin.actions());
    List<TicketSpec> tickets = new ArrayList<>();
    tickets.addAll(results.tickets());
    tickets.addAll(datasets.tickets());
    tickets.addAll(lfSets.tickets());
    tickets.addAll(admin.tickets());
    Streams streams = new Streams(openStreams, streamExecutor, relayExecutor, traffic);
    return new LabelFlightProducer(new LabelFlightApi(vertx, callTimeoutMs), router, relay, admission, callSlots, streams,
        new UploadHandler(allocator, node.datasets(), node.labels(), router, relay, admission, traffic, bus, lfSets),
        datasets, results, actions, tickets);
  }

  /** A fixed number of daemon threads with a bounded queue: beyond it calls are refused, not queued forever. */
  private static ExecutorService boundedPool(String prefix, int threads, int queue) {
    return new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(queue),
        daemonThreads(prefix));
  }

  private static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** Calls and bytes served so far. */
  public FlightTraffic traffic() {
    return traffic;
  }

  /** Graceful shutdown: uploads and applies are refused from now on with UNAVAILABLE. */
  public void refuseNewWork() {
    if (producer != null) {
      producer.refuseNewWork();
    }
  }

  /** The DoGet streams open on this node. */
  public OpenStreams streams() {
    return openStreams;
  }

  /** The port actually bound (useful with port 0). */
  public int port() {
    return server.getPort();
  }

  @Override
  public Future<?> stop() {
    return vertx.executeBlocking(() -> {
      if (server != null) {
        server.shutdown();
        if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
          LOG.warn("Flight calls still running after 5 s; closing anyway");
        }
      }
      if (executor != null) {
        executor.shutdownNow();
      }
      if (streamExecutor != null) {
        streamExecutor.shutdownNow();
      }
      if (relayExecutor != null) {
        relayExecutor.shutdownNow();
      }
      if (openStreams != null) {
        openStreams.close();
      }
      AutoCloseables.close(server, producer, allocator);
      return null;
    });
  }
}
