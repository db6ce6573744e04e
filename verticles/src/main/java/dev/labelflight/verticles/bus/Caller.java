package dev.labelflight.verticles.bus;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.store.DatasetNames;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;

/**
 * Who sent an API request on the event bus: the authenticated user, put in the {@link #HEADER} header by
 * the Flight endpoint ({@link LabelFlightApi#forUser}) or by the HTTP bridge (which drops whatever a
 * browser put there). A request without it comes from inside the node, or from a server without
 * authentication: it sees the unowned namespace and every job.
 */
public final class Caller {
  /** The bus header naming the authenticated user. */
  public static final String HEADER = "labelflight-user";

  private Caller() {}

  /** The user who sent {@code message}, or null for an internal / unauthenticated-server request. */
  public static String of(Message<?> message) {
    return message.headers().get(HEADER);
  }

  /** {@code options} with the caller stamped on (nothing if {@code user} is null). */
  public static DeliveryOptions stamp(DeliveryOptions options, String user) {
    return user == null ? options : options.addHeader(HEADER, user);
  }

  /** The stored name of the caller's dataset {@code name} (checked). */
  public static String dataset(Message<?> message, String name) {
    return DatasetNames.qualify(of(message), name);
  }

  /**
   * Whether the caller may see a job owned by {@code owner}: internal requests see every job, a user only
   * their own. Callers answer NOT_FOUND otherwise, with the message of a job that does not exist.
   */
  public static boolean mayAccess(Message<?> message, String owner) {
    String caller = of(message);
    return caller == null || caller.equals(owner);
  }

  /** NOT_FOUND for a job, worded the same whether it does not exist or belongs to someone else. */
  public static LabelFlightException jobNotFound(String id) {
    return LabelFlightException.notFound("job '" + id + "' not found");
  }
}
