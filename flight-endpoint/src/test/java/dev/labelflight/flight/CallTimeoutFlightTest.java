package dev.labelflight.flight;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A call that outlasts flight.callTimeoutMs (3 s here) through a real Flight server. */
class CallTimeoutFlightTest {
  @TempDir Path dir;

  /**
   * Verifies that a call whose answer does not come within flight.callTimeoutMs (an analysis waiting for a
   * job that waits for memory) is TIMED_OUT naming the job and the limit, never Vert.x's reply address.
   */
  @Test
  void timeoutsNameTheJob() throws Exception {
    try (FlightNode node = new FlightNode(dir, 1_000, new JsonObject().put("callTimeoutMs", 3_000));
         RootAllocator allocator = new RootAllocator();
         FlightClient alice = node.client(allocator, FlightNode.ALICE_TOKEN)) {
      FlightNode.uploadReviews(alice, allocator, "reviews", 12, 2_000);
      timeoutsNameTheJob(node, alice);
    }
  }

  private void timeoutsNameTheJob(FlightNode node, FlightClient alice) {
    var pool = node.node.memoryPool();
    try (var hold = pool.newReservation("test hold")) {
      assertTrue(hold.trySetBytes(pool.freeBytes()));
      String job = FlightNode.action(alice, "apply",
          ErrorDetailsFlightTest.apply("{\"name\":\"kw\",\"kind\":\"keyword\",\"column\":\"text\",\"keywords\":[\"great\"],\"label\":\"POS\"}"))
          .getString("job");
      FlightRuntimeException e = assertThrows(FlightRuntimeException.class,
          () -> FlightNode.action(alice, "analysis", "{\"job\":\"" + job + "\"}"));
      assertEquals(FlightStatusCode.TIMED_OUT, e.status().code(), e.getMessage());
      assertFalse(e.getMessage().contains("__vertx"), e.getMessage());
      assertTrue(e.getMessage().contains(job), e.getMessage());
      JsonObject details = ErrorDetailsFlightTest.details(e);
      assertEquals(job, details.getString("job"), details.encode());
      assertEquals(3_000, details.getLong("limit"), details.encode());
      FlightNode.action(alice, "cancel", "{\"job\":\"" + job + "\"}");
    }
  }

}
