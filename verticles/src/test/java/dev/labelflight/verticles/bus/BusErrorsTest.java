package dev.labelflight.verticles.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.error.LabelFlightException.Detail;
import dev.labelflight.engine.error.LabelFlightException.Kind;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Bus failures as requesters see them: typed, with their details, and timeouts that say what was asked. */
class BusErrorsTest {
  Vertx vertx;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static LabelFlightException failureOf(Future<?> future) throws Exception {
    try {
      future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return BusErrors.toLabelFlight(e.getCause());
    }
    throw new AssertionError("the request succeeded");
  }

  /** Verifies that a handler's error reaches a requester on the node with its kind, message and details (LF, row, limit). */
  @Test
  void failuresKeepTheirDetails() throws Exception {
    vertx.eventBus().consumer("test.fails", message -> BusErrors.fail(message,
        LabelFlightException.invalid("LF 'div' (expression) failed on row 12: division by zero")
            .withDetail(Detail.LF, "div").withDetail(Detail.ROW, 12L).withDetail(Detail.LIMIT, 5)));
    LabelFlightException e = failureOf(vertx.eventBus().request("test.fails", "x", new DeliveryOptions().setLocalOnly(true)));
    assertEquals(Kind.INVALID_ARGUMENT, e.kind());
    assertEquals("LF 'div' (expression) failed on row 12: division by zero", e.getMessage());
    assertEquals(Map.of(Detail.LF, "div", Detail.ROW, 12L, Detail.LIMIT, 5), e.details());
  }

  /** Verifies that a request nobody answers in time is TIMED_OUT about the job asked for, without Vert.x's reply address. */
  @Test
  void timeoutsSayWhatWasAsked() throws Exception {
    vertx.eventBus().consumer(Addresses.JOB_STATUS, message -> { });
    LabelFlightApi api = new LabelFlightApi(vertx, 100);
    LabelFlightException e = failureOf(api.status("job-1"));
    assertEquals(Kind.TIMED_OUT, e.kind());
    assertFalse(e.getMessage().contains("__vertx"), e.getMessage());
    assertTrue(e.getMessage().contains("job 'job-1'") && e.getMessage().contains("job_status") && e.getMessage().contains("100 ms"),
        e.getMessage());
    assertEquals(100L, e.details().get(Detail.LIMIT));
    assertEquals("job-1", e.details().get(Detail.JOB));
    LabelFlightException plain = failureOf(vertx.eventBus().request(Addresses.JOB_STATUS, new JsonObject(),
        new DeliveryOptions().setSendTimeout(100)));
    assertFalse(BusErrors.toLabelFlight(plain).getMessage().contains("__vertx"), plain.getMessage());
  }
}
