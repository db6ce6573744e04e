package dev.labelflight.server;

import dev.labelflight.server.logging.ConsoleLogging;
import dev.labelflight.server.offheap.ProcessMemorySettings;
import io.vertx.core.json.JsonObject;

/** Starts a LabelFlight node from {@code conf/} and environment overrides; runs until stopped. */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    // First, before any Netty or NIO class reads them: all direct memory under one limit, no per-thread I/O copies kept.
    var memorySettings = ProcessMemorySettings.apply();
    System.setProperty("hazelcast.local.localAddress", "127.0.0.1");
    JsonObject config = ServerConfig.load(System.getenv());
    ConsoleLogging.configure(config.getJsonObject("logging", new JsonObject()).getBoolean("json", false));
    org.slf4j.LoggerFactory.getLogger(Main.class).info("process memory settings: {}", memorySettings);
    LabelFlightServer server = new LabelFlightServer(config);
    try {
      server.start().toCompletionStage().toCompletableFuture().get();
    } catch (Exception e) {
      System.err.println("LabelFlight failed to start: " + e.getCause());
      server.close();
      System.exit(1);
    }
    long shutdownMs = config.getJsonObject("shutdown", new JsonObject()).getLong("timeoutMs", 30_000L);
    // SIGTERM (Kubernetes, docker stop) and Ctrl-C: drain, close and exit 0. The JVM's own handler would exit 143.
    for (String signal : new String[] {"TERM", "INT"}) {
      sun.misc.Signal.handle(new sun.misc.Signal(signal), s -> {
        // Not on the signal's own (daemon) thread: once Vert.x and Hazelcast threads have stopped, the JVM
        // would end before the shutdown does.
        Thread stop = new Thread(() -> {
          int status = 0;
          try {
            server.shutdown(shutdownMs);
          } catch (Exception e) {
            System.err.println("shutdown: " + e);
            status = 1;
          }
          System.exit(status);
        }, "labelflight-graceful-shutdown");
        stop.setDaemon(false);
        stop.start();
      });
    }
    // Any other exit still closes what is open.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        server.close();
      } catch (Exception e) {
        System.err.println("shutdown: " + e);
      }
    }, "labelflight-shutdown"));
    JsonObject flight = config.getJsonObject("flight");
    JsonObject http = config.getJsonObject("http");
    String grpc = server.tls() ? "grpc+tls" : "grpc";
    String web = (server.tls() ? "https" : "http") + "://" + http.getString("host") + ":" + server.httpPort() + "/";
    var auth = server.auth();
    String login;
    if (!auth.users().enabled()) {
      login = "  Authentication: OFF (auth.enabled=false): anyone who reaches the ports gets in.%n";
    } else if (auth.devUser() != null) {
      String token = auth.devToken().replace("%", "%%");
      login = "  Dev user: " + auth.devUser() + ", token " + token + "%n"
          + "    Python: labelflight.connect(\"" + grpc + "://" + flight.getString("host") + ":" + server.flightPort()
          + "\", token=\"" + token + "\")%n"
          + "    Browser: " + web + "?token=" + token + "%n";
    } else {
      login = auth.users().users().isEmpty()
          ? "  Authentication: ON but no users are configured (auth.users; bin/hash-token makes one): nobody can log in%n"
          : "  Authentication: bearer token of one of the " + auth.users().users().size() + " users of auth.users%n";
    }
    System.out.printf("%nLabelFlight is running.%n  Flight: %s://%s:%d%n  Web UI: %s%n" + login
            + "  Demo dataset: %s%n  Stop with Ctrl-C.%n%n",
        grpc, flight.getString("host"), server.flightPort(), web,
        config.getJsonObject("demo").getBoolean("enabled") ? config.getJsonObject("demo").getString("dataset") : "(disabled)");
  }
}
