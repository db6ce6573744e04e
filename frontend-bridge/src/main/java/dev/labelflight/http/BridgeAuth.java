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

/**
 * The users' bearer tokens on HTTP: a request ({@link #requireUser}) carries {@code Authorization: Bearer
 * TOKEN}; a bridge frame carries it in its headers ({@code {"headers": {"authorization": "Bearer TOKEN"}}}),
 * since browsers cannot set headers on a WebSocket. {@link #admit} replaces a frame's headers by the
 * authenticated user ({@link Caller#HEADER}; the token never reaches the bus, nor a user name the browser
 * wrote), and lets a browser listen only to its own jobs' progress. Checking a token may hash (PBKDF2), so
 * it runs on a worker; wrong tokens are throttled per remote address (429 once an address, or the node, had
 * too many lately: {@link dev.labelflight.engine.auth.AuthThrottle}).
 */
final class BridgeAuth {
  static final int UNAUTHENTICATED = 401;
  static final int NOT_FOUND = 404;
  static final int TOO_MANY = 429;
  static final String MISSING = "authentication required: send the header 'authorization: Bearer TOKEN'"
      + " (a LabelFlight user's API token)";
  static final String INVALID = "invalid bearer token";

  /** A refusal with the failure code the sender gets. */
  static final class Refused extends RuntimeException {
    private final int code;
    private final long retryAfterMs;

    Refused(int code, String message) {
      this(code, message, 0);
    }

    Refused(int code, String message, long retryAfterMs) {
      super(message, null, false, false);
      this.code = code;
      this.retryAfterMs = retryAfterMs;
    }

    int code() {
      return code;
    }

    long retryAfterSeconds() {
      return Math.max(1, (retryAfterMs + 999) / 1000);
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

  /**
   * Completes when the frame may pass, with its headers replaced by the caller; fails with {@link Refused}.
   * {@code address}: where the frame came from (throttling wrong tokens), null if unknown.
   */
  Future<Void> admit(BridgeEventType type, JsonObject raw, String address) {
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
    return authenticate(authorization, address).compose(user -> {
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
    requireUserThen(ctx, ctx::next);
  }

  private void requireUserThen(RoutingContext ctx, Runnable then) {
    String authorization = ctx.request().getHeader("Authorization");
    var remote = ctx.request().remoteAddress();
    Future<String> user = authorization == null ? Future.failedFuture(new Refused(UNAUTHENTICATED, MISSING))
        : authenticate(authorization, remote == null ? null : remote.hostAddress());
    user.onSuccess(u -> {
      ctx.put(HttpVerticle.USER, u);
      then.run();
    }).onFailure(e -> {
      var response = ctx.response().putHeader("Content-Type", "text/plain; charset=utf-8");
      if (e instanceof Refused r && r.code() == TOO_MANY) {
        response.setStatusCode(TOO_MANY).putHeader("Retry-After", String.valueOf(r.retryAfterSeconds()));
      } else {
        response.setStatusCode(UNAUTHENTICATED).putHeader("WWW-Authenticate", "Bearer realm=\"labelflight\"");
      }
      response.end(e.getMessage() + "\n");
    });
  }

  /**
   * For probes: calls {@code then} with false when the request has no {@code Authorization} header, with
   * true when it has a user's token (or authentication is off); answers 401 itself to a wrong token.
   */
  void optionalUser(RoutingContext ctx, java.util.function.Consumer<Boolean> then) {
    if (!users.enabled()) {
      then.accept(true);
      return;
    }
    if (ctx.request().getHeader("Authorization") == null) {
      then.accept(false);
      return;
    }
    requireUserThen(ctx, () -> then.accept(true));
  }

  /** On a worker (a token not seen before is hashed); wrong tokens are throttled per {@code address}. */
  private Future<String> authenticate(String authorization, String address) {
    return vertx.executeBlocking(() -> users.checkHeader(authorization, address), false).compose(outcome -> {
      if (outcome instanceof UserDirectory.Outcome.Authenticated a) {
        return Future.succeededFuture(a.user());
      }
      if (outcome instanceof UserDirectory.Outcome.Throttled t) {
        return Future.failedFuture(new Refused(TOO_MANY, t.refusal().message(), t.refusal().retryAfterMs()));
      }
      return Future.failedFuture(new Refused(UNAUTHENTICATED, INVALID));
    });
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
