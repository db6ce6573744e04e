package dev.labelflight.verticles;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs test steps on one Vert.x event-loop context, as the coordinator's parts expect (they are confined
 * to their context), and waits for futures with a bound.
 */
public final class OnContext {
  public static final long WAIT_MS = 10_000;
  private final Context context;

  public OnContext(Vertx vertx) {
    this.context = vertx.getOrCreateContext();
  }

  /** Runs {@code step} on the context and returns its result. */
  public <T> T call(Callable<T> step) throws Exception {
    CompletableFuture<T> done = new CompletableFuture<>();
    context.runOnContext(v -> {
      try {
        done.complete(step.call());
      } catch (Throwable t) {
        done.completeExceptionally(t);
      }
    });
    return done.get(WAIT_MS, TimeUnit.MILLISECONDS);
  }

  /** Runs {@code step} on the context later, without waiting (from any thread, also an event loop). */
  public void post(Runnable step) {
    context.runOnContext(v -> step.run());
  }

  /** Waits {@code ms} on a Vert.x timer (a pause between polls, not a sleep of the test thread's logic). */
  public static void pause(Vertx vertx, long ms) throws Exception {
    await(Future.<Void>future(p -> vertx.setTimer(ms, t -> p.complete())));
  }

  public void run(Runnable step) throws Exception {
    call(() -> {
      step.run();
      return null;
    });
  }

  /** Waits for {@code future} (at most {@value #WAIT_MS} ms) and returns its result, or throws its failure. */
  public static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(WAIT_MS, TimeUnit.MILLISECONDS);
  }
}
