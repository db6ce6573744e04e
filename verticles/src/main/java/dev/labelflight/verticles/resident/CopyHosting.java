package dev.labelflight.verticles.resident;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.store.DatasetRef;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.verticles.bus.Addresses;
import dev.labelflight.verticles.bus.BusErrors;
import dev.labelflight.verticles.bus.LocalDelivery;
import dev.labelflight.verticles.node.NodeResources;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * Resident copies of other nodes' datasets (clustered only), both sides. A job's home node that has no
 * room for a copy {@link #pick}s a node that holds one or has the most free memory (from the cluster
 * directory), asks it to {@link #host} one and {@link #run}s jobs there. The hosting node admits the copy
 * only if its bytes are free now ({@link ResidentPool#loadIfFree}), loads the chunks from the home node,
 * and runs those jobs on it, sending each chunk's outcome back to the home node.
 *
 * <p>Event-loop only (the coordinator's context).
 */
public final class CopyHosting {
  /** Where a copy for a job may go on another node: already there ({@code ready}) or with room for one. */
  public record Placement(String node, boolean ready, String homeFlight) {}

  private final Vertx vertx;
  private final NodeResources node;
  private final ResidentPool pool;
  private final BooleanSupplier draining;
  private final Runnable onRunEnded;

  public CopyHosting(Vertx vertx, NodeResources node, ResidentPool pool, BooleanSupplier draining, Runnable onRunEnded) {
    this.vertx = vertx;
    this.node = node;
    this.pool = pool;
    this.draining = draining;
    this.onRunEnded = onRunEnded;
  }

  /** Registers the hosting side's consumers (clustered nodes only). */
  public Future<?> start() {
    if (!node.directory().clustered()) {
      return Future.succeededFuture();
    }
    var bus = vertx.eventBus();
    return Future.all(
        bus.<JsonObject>consumer(Addresses.hostResident(node.nodeId()), this::onHost).completion(),
        bus.<JsonObject>consumer(Addresses.runResident(node.nodeId()), this::onRun).completion());
  }

  // ---- home side --------------------------------------------------------------------------------

  /** A node holding a copy of {@code ref}, else the one with the most free memory if it covers {@code need}; or null. */
  public Future<Placement> pick(DatasetRef ref, long need, Set<String> excluded) {
    return vertx.executeBlocking(() -> {
      String homeFlight = node.directory().localFlight();
      if (homeFlight == null) {
        return null;
      }
      Placement best = null;
      long bestFree = need - 1;
      for (var other : node.directory().nodes()) {
        if (node.directory().isLocal(other.nodeId()) || excluded.contains(other.nodeId())) {
          continue;
        }
        Object keys = other.facts().get("residentKeys");
        if (keys instanceof List<?> list && list.contains(ref.toString())) {
          return new Placement(other.nodeId(), true, homeFlight);
        }
        Object free = other.facts().get("freeBytes");
        if (free instanceof Number n && n.longValue() > bestFree) {
          bestFree = n.longValue();
          best = new Placement(other.nodeId(), false, homeFlight);
        }
      }
      return best;
    }, false);
  }

  /** Asks {@code host} to load a copy of {@code ref} ({@code bytes}, {@code headroom} beside it); completes once it is ready. */
  public Future<Void> host(String host, DatasetRef ref, String homeFlight, long bytes, long headroom) {
    return vertx.eventBus().request(Addresses.hostResident(host), new HostRequest(ref, homeFlight, bytes, headroom).toJson(),
        new DeliveryOptions().setSendTimeout(node.taskTimeoutMs())).mapEmpty();
  }

  /** Runs a job on {@code host}'s copy; completes when every chunk's outcome was sent to this node. */
  public Future<Void> run(String host, RemoteRun run) {
    return vertx.eventBus().request(Addresses.runResident(host), run.toJson(),
        new DeliveryOptions().setSendTimeout(node.taskTimeoutMs())).mapEmpty();
  }

  // ---- hosting side -----------------------------------------------------------------------------

  private void onHost(Message<JsonObject> message) {
    HostRequest request = HostRequest.fromJson(message.body());
    String waiter = "a job of another node";
    if (pool.state(request.dataset()) != CopyState.NONE) {
      reply(message, pool.whenReady(request.dataset(), waiter + " " + message.hashCode()));
      return;
    }
    if (draining.getAsBoolean() || !node.execution().residentEnabled() || request.bytes() <= 0
        || request.bytes() + request.headroom() > node.memoryPool().maxBytes()) {
      BusErrors.fail(message, LabelFlightException.exhausted("node " + node.nodeId() + " takes no resident copy of "
          + (request.bytes() >> 20) + " MiB now"));
      return;
    }
    vertx.<Manifest>executeBlocking(() -> node.remote().manifest(request.homeFlight(), request.dataset().name(),
            request.dataset().version()), false)
        .compose(manifest -> pool.loadIfFree(manifest, request.bytes(), request.headroom(),
            node.remote().chunks(request.homeFlight()))
            .compose(admitted -> {
              if (!admitted && pool.state(request.dataset()) == CopyState.NONE) {
                return Future.failedFuture(LabelFlightException.exhausted("node " + node.nodeId() + " has less than "
                    + ((request.bytes() + request.headroom() + (1 << 20) - 1) >> 20) + " MiB free"));
              }
              return pool.whenReady(request.dataset(), waiter + " " + message.hashCode());
            }))
        .onComplete(ar -> {
          if (ar.succeeded()) {
            message.reply(new JsonObject().put("ready", true));
          } else {
            BusErrors.fail(message, ar.cause());
          }
        });
  }

  private static void reply(Message<JsonObject> message, Future<ResidentPool.ResidentCopy> ready) {
    ready.onComplete(ar -> {
      if (ar.succeeded()) {
        message.reply(new JsonObject().put("ready", true));
      } else {
        BusErrors.fail(message, ar.cause());
      }
    });
  }

  /** Runs another node's job on the copy held here; its chunk outcomes go straight to that node. */
  private void onRun(Message<JsonObject> message) {
    RemoteRun run = RemoteRun.fromJson(message.body());
    ResidentPool.ResidentCopy copy = pool.ready(run.dataset());
    if (draining.getAsBoolean() || copy == null) {
      BusErrors.fail(message, LabelFlightException.notFound("no resident copy of " + run.dataset() + " on node "
          + node.nodeId()));
      return;
    }
    pool.use(copy);
    vertx.eventBus().<JsonObject>request(copy.address(), new ResidentRun(run.job(), run.request(), run.home()).toJson(),
        LocalDelivery.timeout(node.taskTimeoutMs())).onComplete(ar -> {
      pool.done(copy);
      onRunEnded.run();
      if (ar.succeeded()) {
        message.reply(ar.result().body());
      } else {
        BusErrors.fail(message, ar.cause());
      }
    });
  }
}
