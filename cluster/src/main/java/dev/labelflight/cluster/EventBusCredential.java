package dev.labelflight.cluster;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.eventbus.Message;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the clustered event bus answer only to nodes that hold the cluster's secret. Vert.x's clustered
 * event bus accepts TCP connections on its port from anyone and delivers what they send; a forged frame
 * could ask a node to load a dataset from an endpoint the sender runs (and so hand it the node's Flight
 * credential), run a job, or inject progress events into a browser. So every message this node sends
 * carries {@link #HEADER} with the cluster's bus credential ({@link ClusterSecret#busCredential}), every
 * message that arrives from the wire without it is dropped (and logged), and the header is removed before
 * any handler sees a message, so it never reaches a consumer, a reply, or a browser through the bridge.
 */
public final class EventBusCredential {
  /** The header with the bus credential; present only between the interceptors of two nodes. */
  public static final String HEADER = "x-labelflight-bus-credential";
  /** What a node logs when it drops a message (tests look for it). */
  public static final String DROPPED = "dropped an event-bus message";
  private static final Logger LOG = LoggerFactory.getLogger(EventBusCredential.class);
  /** Dropped messages are logged at most once per this many milliseconds. */
  private static final long LOG_EVERY_MS = 10_000;

  private final String credential;
  private final byte[] expected;
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong lastLogged = new AtomicLong(Long.MIN_VALUE / 2);

  private EventBusCredential(String credential) {
    this.credential = credential;
    this.expected = credential.getBytes(StandardCharsets.UTF_8);
  }

  /** Adds the interceptors to {@code vertx}'s event bus: call before anything registers a consumer. */
  public static EventBusCredential install(Vertx vertx, ClusterSecret secret) {
    EventBusCredential guard = new EventBusCredential(secret.busCredential());
    vertx.eventBus().addOutboundInterceptor(guard::stamp);
    vertx.eventBus().addInboundInterceptor(guard::check);
    return guard;
  }

  /** Messages dropped so far. */
  public long dropped() {
    return dropped.get();
  }

  private <T> void stamp(DeliveryContext<T> context) {
    // set, not add: a DeliveryOptions' headers map may be shared by many messages.
    context.message().headers().set(HEADER, credential);
    context.next();
  }

  private <T> void check(DeliveryContext<T> context) {
    Message<T> message = context.message();
    MultiMap headers = message.headers();
    String presented = headers.get(HEADER);
    headers.remove(HEADER);
    if (fromWire(message) && (presented == null
        || !MessageDigest.isEqual(expected, presented.getBytes(StandardCharsets.UTF_8)))) {
      long count = dropped.incrementAndGet();
      long now = System.currentTimeMillis();
      long last = lastLogged.get();
      if (now - last >= LOG_EVERY_MS && lastLogged.compareAndSet(last, now)) {
        LOG.warn("{} to '{}' that came without the cluster's credential ({} so far): a process that is not "
            + "a node of this cluster wrote to the event-bus port", DROPPED, message.address(), count);
      }
      return;
    }
    context.next();
  }

  /**
   * Whether the message was read from another process's connection. Vert.x tells only through its
   * implementation class; messages sent inside this process passed {@link #stamp} anyway.
   */
  private static boolean fromWire(Message<?> message) {
    return !(message instanceof io.vertx.core.eventbus.impl.clustered.ClusteredMessage<?, ?> clustered)
        || clustered.isFromWire();
  }
}
