package dev.labelflight.http;

import io.vertx.core.Handler;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * More routes for {@link HttpVerticle}'s router (uploads, exports). {@code authenticate} passes requests with
 * a user's valid bearer token on, with the user in {@link HttpVerticle#USER} (null when authentication is
 * off), and answers 401 to the others.
 */
@FunctionalInterface
public interface HttpRoutes {
  void mount(Router router, Handler<RoutingContext> authenticate);
}
