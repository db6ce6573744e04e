package dev.labelflight.verticles.bus;

import io.vertx.core.eventbus.DeliveryOptions;

/**
 * Delivery options for node-internal messages. On a clustered event bus a plain send may go to any
 * node with a consumer of the address; a node's coordinator, workers and API consumers serve only it.
 */
public final class LocalDelivery {
  private LocalDelivery() {}

  public static DeliveryOptions options() {
    return new DeliveryOptions().setLocalOnly(true);
  }

  public static DeliveryOptions timeout(long ms) {
    return options().setSendTimeout(ms);
  }
}
