package dev.labelflight.flight.jobs;

import dev.labelflight.flight.call.ActionSpec;
import dev.labelflight.flight.call.Bodies;
import dev.labelflight.flight.call.BusCalls;
import dev.labelflight.flight.call.Call;
import dev.labelflight.flight.call.Home;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Jobs over the event bus to the job coordinator: {@code apply} submits LFs over a dataset (served on the
 * dataset's home node, refused during shutdown) and answers the job id; {@code job_status} and
 * {@code cancel} answer the job's status (served on the node in the job id).
 */
public final class JobsHandler {
  private final BusCalls bus;

  public JobsHandler(BusCalls bus) {
    this.bus = bus;
  }

  public List<ActionSpec> actions() {
    return List.of(
        new ActionSpec("apply", "Apply LFs: {dataset, version?, labels, lfs, mode?: auto|resident|queue, multiLabel?} -> {job},"
            + " owned by the caller", Home.DATASET, true, this::apply),
        new ActionSpec("job_status", "State and progress of a job: {job} -> status", Home.JOB, false, this::status),
        new ActionSpec("cancel", "Cancel a job: {job} -> status", Home.JOB, false, this::cancel));
  }

  private byte[] apply(Call call, String body) throws Exception {
    String job = bus.await(call.api().apply(body), "the new job");
    return json(new JsonObject().put("job", job));
  }

  private byte[] status(Call call, String body) throws Exception {
    String job = Bodies.jobOf(body);
    return json(bus.await(call.api().status(job), "the status of job '" + job + "'"));
  }

  private byte[] cancel(Call call, String body) throws Exception {
    String job = Bodies.jobOf(body);
    return json(bus.await(call.api().cancel(job), "cancelling job '" + job + "'"));
  }

  static byte[] json(JsonObject reply) {
    return reply.encode().getBytes(StandardCharsets.UTF_8);
  }
}
