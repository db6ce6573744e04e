package dev.labelflight.verticles.lending;

import io.vertx.core.json.JsonObject;

/** A borrower asks a lender for up to {@code max} queued chunk tasks (as many as it has idle workers). */
public record StealRequest(String borrower, int max) {
  /** The most tasks one request may take. */
  public static final int MAX_TASKS = 64;

  public JsonObject toJson() {
    return new JsonObject().put("node", borrower).put("max", max);
  }

  public static StealRequest fromJson(JsonObject json) {
    return new StealRequest(json.getString("node"), Math.max(0, Math.min(json.getInteger("max", 1), MAX_TASKS)));
  }
}
