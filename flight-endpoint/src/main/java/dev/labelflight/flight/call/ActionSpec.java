package dev.labelflight.flight.call;

import org.apache.arrow.flight.ActionType;

/**
 * One DoAction: its type and description (ListActions), where it is served, whether it starts new work
 * (refused during graceful shutdown, also before relaying), and what it does here.
 */
public record ActionSpec(String type, String description, Home home, boolean newWork, Body body) {

  /** Runs the action on this node; returns the single result's bytes (usually UTF-8 JSON). */
  @FunctionalInterface
  public interface Body {
    byte[] run(Call call, String body) throws Exception;
  }

  public ActionType actionType() {
    return new ActionType(type, description);
  }
}
