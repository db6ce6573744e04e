package dev.labelflight.verticles.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.labelflight.verticles.job.Job;
import dev.labelflight.verticles.job.JobState;
import dev.labelflight.verticles.job.Jobs;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FairQueueTest {
  /** Verifies that tasks alternate between users first, then between one user's jobs, and skip ended jobs. */
  @Test
  void roundRobinAcrossUsersThenJobs() {
    FairQueue queue = new FairQueue();
    Job a1 = Jobs.job("a1", "ann", 3);
    Job a2 = Jobs.job("a2", "ann", 2);
    Job b1 = Jobs.job("b1", "bob", 1);
    Job c1 = Jobs.job("c1", "cat", 5);
    queue.add(a1);
    queue.add(a2);
    queue.add(b1);
    queue.add(c1);
    List<String> order = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      FairQueue.Task t = queue.next();
      order.add(t.job().id() + ":" + t.chunk());
    }
    assertEquals(List.of("a1:0", "b1:0", "c1:0", "a2:0", "c1:1", "a1:1"), order);
    Jobs.end(c1, JobState.CANCELLED);
    order.clear();
    for (FairQueue.Task t = queue.next(); t != null; t = queue.next()) {
      order.add(t.job().id() + ":" + t.chunk());
    }
    assertEquals(List.of("a2:1", "a1:2"), order);
    assertNull(queue.next());
  }
}
