package dev.labelflight.verticles.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.apply.ChunkLabeler;
import dev.labelflight.engine.apply.ExecutionMode;
import dev.labelflight.engine.cancel.CancelToken;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.lf.LabelSpace;
import dev.labelflight.engine.lf.LfSpec;
import dev.labelflight.engine.store.Manifest;
import java.util.ArrayList;
import java.util.List;

/** Test fixtures: jobs over a made-up dataset of {@code chunks} chunks of 10 rows, with one numeric LF. */
public final class Jobs {
  private Jobs() {}

  public static Manifest manifest(String dataset, int chunks) {
    List<Manifest.Chunk> list = new ArrayList<>();
    for (int i = 0; i < chunks; i++) {
      list.add(new Manifest.Chunk(i, "c" + i, i * 10L, 10, 100, 0));
    }
    try {
      return new Manifest(dataset, 1, chunks * 10L, chunks * 100L, "now", new ObjectMapper().readTree("{}"), list);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public static Job job(String id, String user, int chunks) {
    return job(id, user, chunks, ExecutionMode.QUEUE, CancelToken.create());
  }

  public static Job job(String id, String user, int chunks, ExecutionMode mode, CancelToken token) {
    try {
      LfSpec spec = LfSpec.parse(new ObjectMapper().readTree(
          "{\"name\":\"a\",\"kind\":\"numeric\",\"column\":\"x\",\"op\":\"<\",\"value\":1,\"label\":\"A\"}"), 0);
      return new Job(id, manifest("d", chunks), ChunkLabeler.JobLfs.of(List.of(spec), new LabelSpace(List.of("A"))),
          "{}", user, mode, token);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Ends a job at once, as its registry would once its work stopped. */
  public static void end(Job job, JobState state) {
    job.finish(state, state == JobState.SUCCEEDED ? null : "test", LabelFlightException.Kind.CANCELLED);
  }
}
