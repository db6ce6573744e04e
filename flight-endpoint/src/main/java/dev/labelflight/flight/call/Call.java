package dev.labelflight.flight.call;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.store.DatasetNames;
import dev.labelflight.verticles.bus.LabelFlightApi;
import org.apache.arrow.flight.FlightProducer.CallContext;

/**
 * Who makes a Flight call, looked up once when the call arrives: the authenticated user (Flight's peer
 * identity, set by {@link dev.labelflight.flight.auth.FlightAuthenticator}) and the job API acting for
 * that user. {@code user} is null when the server runs without authentication, or for another node's own
 * call (nodes read each other's datasets by their stored names).
 */
public record Call(String user, LabelFlightApi api) {

  /** The call's user (null: none) with {@code api} acting for them. */
  public static Call of(CallContext context, LabelFlightApi api) {
    String identity = context.peerIdentity();
    String user = identity == null || identity.isEmpty() ? null : identity;
    return new Call(user, api.forUser(user));
  }

  /** The stored name of the caller's dataset {@code name} (checked: INVALID_ARGUMENT with the naming rule). */
  public String dataset(String name) {
    return DatasetNames.qualify(user, name);
  }

  /**
   * Node-to-node calls (manifests, chunk tickets) read datasets by their stored names: only for calls that
   * carry no user, which with authentication on means another node's. Others get the answer of a thing
   * that does not exist.
   */
  public void requireNode(String what) {
    if (user != null) {
      throw LabelFlightException.notFound(what + " is for LabelFlight nodes only");
    }
  }
}
