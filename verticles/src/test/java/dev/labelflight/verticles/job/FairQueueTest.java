package dev.labelflight.verticles.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.apply.ChunkLabeler;
import dev.labelflight.engine.lf.LabelSpace;
import dev.labelflight.engine.lf.LfSpec;
import dev.labelflight.engine.store.Manifest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FairQueueTest {
  static Job job(String id, String user, int chunks) throws Exception {
    List<Manifest.Chunk> list = new ArrayList<>();
    for (int i = 0; i < chunks; i++) {
      list.add(new Manifest.Chunk(i, "c" + i, i * 10L, 10, 100, 0));
    }
    Manifest m = new Manifest("d", 1, chunks * 10L, chunks * 100L, "now", new ObjectMapper().readTree("{}"), list);
    LfSpec spec = LfSpec.parse(new ObjectMapper().readTree(
        "{\"name\":\"a\",\"kind\":\"numeric\",\"column\":\"x\",\"op\":\"<\",\"value\":1,\"label\":\"A\"}"), 0);
    return new Job(id, m, ChunkLabeler.JobLfs.of(List.of(spec), new LabelSpace(List.of("A"))), "{}", user, "queue");
  }

  /** Verifies that tasks alternate between users first, then between one user's jobs, and skip ended jobs. */
  @Test
  void roundRobinAcrossUsersThenJobs() throws Exception {
    FairQueue queue = new FairQueue();
    Job a1 = job("a1", "ann", 3);
    Job a2 = job("a2", "ann", 2);
    Job b1 = job("b1", "bob", 1);
    Job c1 = job("c1", "cat", 5);
    queue.add(a1);
    queue.add(a2);
    queue.add(b1);
    queue.add(c1);
    List<String> order = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      FairQueue.Task t = queue.next();
      order.add(t.job().id + ":" + t.chunk());
    }
    assertEquals(List.of("a1:0", "b1:0", "c1:0", "a2:0", "c1:1", "a1:1"), order);
    c1.finish(Job.State.CANCELLED, "test");
    order.clear();
    for (FairQueue.Task t = queue.next(); t != null; t = queue.next()) {
      order.add(t.job().id + ":" + t.chunk());
    }
    assertEquals(List.of("a2:1", "a1:2"), order);
    assertNull(queue.next());
  }
}
