package dev.labelflight.http;

import dev.labelflight.engine.auth.UserDirectory;
import dev.labelflight.verticles.bus.Addresses;
import dev.labelflight.verticles.bus.Caller;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.BridgeEventType;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;

/**
 * The users' bearer tokens on HTTP: a request ({@link #requireUser}) carries {@code Authorization: Bearer
 * TOKEN}; a bridge frame carries it in its headers ({@code {"headers": {"authorization": "Bearer TOKEN"}}}),
 * since browsers cannot set headers on a WebSocket. {@link #admit} replaces a frame's headers by the
 * authenticated user ({@link Caller#HEADER}; the token never reaches the bus, nor a user name the browser
 * wrote), and lets a browser listen only to its own jobs' progress. Checking a token may hash (PBKDF2), so
 * it runs on a worker.
 */
final class BridgeAuth {
  static final int UNAUTHENTICATED = 401;
  static final int NOT_FOUND = 404;
  static final String MISSING = "authentication required: send the header 'authorization: Bearer TOKEN'"
      + " (a LabelFlight user's API token)";
  static final String INVALID = "invalid bearer token";

  /** A refusal with the failure code the sender gets. */
  static final class Refused extends RuntimeException {
    private final int code;

    Refused(int code, String message) {
      super(message, null, false, false);
      this.code = code;
    }

    int code() {
      return code;
    }
  }

  private final Vertx vertx;
  private final UserDirectory users;
  private final long timeoutMs;

  BridgeAuth(Vertx vertx, UserDirectory users, long timeoutMs) {
    this.vertx = vertx;
    this.users = users;
    this.timeoutMs = timeoutMs;
  }

  /** Completes when the frame may pass, with its headers replaced by the caller; fails with {@link Refused}. */
  Future<Void> admit(BridgeEventType type, JsonObject raw) {
    Object given = raw.getValue("headers");
    String authorization = null;
    if (given instanceof JsonObject headers) {
      for (String name : headers.fieldNames()) {
        if (name.equalsIgnoreCase("authorization") && headers.getValue(name) instanceof String value) {
          authorization = value;
        }
      }
    }
    JsonObject stamped = new JsonObject();
    raw.put("headers", stamped);
    if (!users.enabled()) {
      return Future.succeededFuture();
    }
    if (authorization == null) {
      return Future.failedFuture(new Refused(UNAUTHENTICATED, MISSING));
    }
    return authenticate(authorization).compose(user -> {
      stamped.put(Caller.HEADER, user);
      return type == BridgeEventType.REGISTER ? ownJob(user, raw.getString("address")) : Future.succeededFuture();
    });
  }

  /** A route handler: passes on requests with a valid token, answers 401 to the others. */
  void requireUser(RoutingContext ctx) {
    if (!users.enabled()) {
      ctx.next();
      return;
    }
    String authorization = ctx.request().getHeader("Authorization");
    Future<String> user = authorization == null
        ? Future.failedFuture(new Refused(UNAUTHENTICATED, MISSING)) : authenticate(authorization);
    user.onSuccess(u -> {
      ctx.put(HttpVerticle.USER, u);
      ctx.next();
    }).onFailure(e -> ctx.response().setStatusCode(UNAUTHENTICATED)
        .putHeader("WWW-Authenticate", "Bearer realm=\"labelflight\"")
        .putHeader("Content-Type", "text/plain; charset=utf-8")
        .end(e.getMessage() + "\n"));
  }

  private Future<String> authenticate(String authorization) {
    return vertx.<Optional<String>>executeBlocking(() -> users.authenticateHeader(authorization), false)
        .compose(user -> user.isPresent() ? Future.succeededFuture(user.get())
            : Future.failedFuture(new Refused(UNAUTHENTICATED, INVALID)));
  }

  /** Progress of a job goes only to its owner: anyone else is told the job does not exist. */
  private Future<Void> ownJob(String user, String address) {
    String job = address.substring(Addresses.job("").length());
    return vertx.eventBus().request(Addresses.JOB_STATUS, new JsonObject().put("job", job),
            Caller.stamp(new DeliveryOptions().setSendTimeout(timeoutMs), user))
        .<Void>mapEmpty()
        .recover(e -> Future.failedFuture(new Refused(NOT_FOUND, Caller.jobNotFound(job).getMessage())));
  }
}
