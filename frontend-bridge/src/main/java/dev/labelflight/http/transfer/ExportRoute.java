package dev.labelflight.http.transfer;

import dev.labelflight.engine.csv.CsvWriter;
import dev.labelflight.engine.devset.DevSet;
import dev.labelflight.engine.devset.DevSetStore;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmatrix.LabelChunk;
import dev.labelflight.engine.review.ModelScores;
import dev.labelflight.engine.store.AtomicFiles;
import dev.labelflight.engine.store.DatasetNames;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.http.HttpRoutes;
import dev.labelflight.http.HttpVerticle;
import dev.labelflight.verticles.bus.Addresses;
import dev.labelflight.verticles.bus.Caller;
import dev.labelflight.verticles.node.NodeResources;
import dev.labelflight.verticles.review.ModelLookup;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * CSV downloads with the user's bearer token, streamed one label chunk at a time (rendered on a worker
 * under a budget reservation, written when the client has taken the previous one):
 * <ul>
 *   <li>{@code GET /api/export/labels/JOB}: the label matrix L, {@code row_id} and one column per LF (class
 *   index, -1 = abstain), as Snorkel's {@code L};</li>
 *   <li>{@code GET /api/export/predictions/JOB/MODEL}: {@code row_id}, {@code label} (the top class, empty on a
 *   tie) and {@code p_CLASS} per class, from a label model fitted on the job;</li>
 *   <li>{@code GET /api/export/devset/NAME?version=V}: the hand-labelled dev set, {@code row_id,label}.</li>
 * </ul>
 * Another user's job or dataset is 404 like a missing one; a job still running is 409. Parquet is not
 * written (Arrow Java writes Parquet only through the native dataset module): CSV here, Arrow over Flight.
 */
public final class ExportRoute implements HttpRoutes {
  /** Label values per slice copied for the label model (4 MiB of shorts). */
  private static final int SLICE_VALUES = 2 << 20;

  private final NodeResources node;
  private final DevSetStore devSets;
  private final long timeoutMs;
  private final long budgetWaitMs;

  public ExportRoute(NodeResources node, DevSetStore devSets, long timeoutMs, long budgetWaitMs) {
    this.node = node;
    this.devSets = devSets;
    this.timeoutMs = timeoutMs;
    this.budgetWaitMs = budgetWaitMs;
  }

  @Override
  public void mount(Router router, Handler<RoutingContext> authenticate) {
    router.get("/api/export/labels/:job").handler(authenticate).handler(ctx -> job(ctx, null));
    router.get("/api/export/predictions/:job/:model").handler(authenticate).handler(ctx -> job(ctx, ctx.pathParam("model")));
    router.get("/api/export/devset/:dataset").handler(authenticate).handler(this::devSet);
  }

  /** What the chunks of one export are rendered from. */
  private record Job(JsonObject status, List<AtomicFiles.Written> files, ModelScores model) {}

  private void job(RoutingContext ctx, String modelId) {
    String user = ctx.get(HttpVerticle.USER);
    String job = ctx.pathParam("job");
    DeliveryOptions asUser = Caller.stamp(new DeliveryOptions().setSendTimeout(timeoutMs).setLocalOnly(true), user);
    var bus = ctx.vertx().eventBus();
    bus.<JsonObject>request(Addresses.AWAIT_PROGRESS, new JsonObject().put("job", job).put("after", -1), asUser)
        .compose(reply -> {
          JsonObject progress = reply.body();
          if (!"SUCCEEDED".equals(progress.getString("state"))) {
            return Future.failedFuture(new LabelFlightException(LabelFlightException.Kind.ALREADY_EXISTS,
                "job " + job + " is " + progress.getString("state").toLowerCase() + ": export it once it has succeeded"));
          }
          List<AtomicFiles.Written> files = new ArrayList<>();
          for (Object o : progress.getJsonArray("files")) {
            JsonObject f = (JsonObject) o;
            files.add(new AtomicFiles.Written(f.getLong("bytes"), f.getLong("crc32c")));
          }
          Future<ModelScores> model = modelId == null ? Future.succeededFuture(null)
              : new ModelLookup(ctx.vertx(), timeoutMs).scores(user, progress, modelId);
          return model.map(m -> new Job(progress, files, m));
        })
        .onFailure(e -> UploadRoute.fail(ctx, e, false))
        .onSuccess(j -> {
          String file = (modelId == null ? "labels-" : "predictions-") + job + ".csv";
          ctx.response().setChunked(true).putHeader("Content-Type", "text/csv; charset=utf-8")
              .putHeader("Content-Disposition", "attachment; filename=\"" + file + "\"");
          ctx.response().write(header(j));
          stream(ctx, j, 0);
        });
  }

  private static String header(Job j) {
    StringBuilder out = new StringBuilder();
    CsvWriter csv = new CsvWriter(out).field("row_id");
    if (j.model() == null) {
      j.status().getJsonArray("lfs").forEach(csv::field);
    } else {
      csv.field("label");
      j.status().getJsonArray("classes").forEach(c -> csv.field("p_" + c));
    }
    csv.end();
    return out.toString();
  }

  /** Renders chunk {@code chunk} on a worker, writes it, and goes on when the client has taken it. */
  private void stream(RoutingContext ctx, Job j, int chunk) {
    var response = ctx.response();
    if (response.closed()) {
      return;
    }
    if (chunk == j.files().size()) {
      response.end();
      return;
    }
    ctx.vertx().executeBlocking(() -> render(j, chunk), false)
        .compose(response::write)
        .onComplete(ar -> {
          if (ar.failed()) {
            response.reset(); // the client sees a broken download, never a short file that looks whole
            return;
          }
          if (response.writeQueueFull()) {
            response.drainHandler(v -> stream(ctx, j, chunk + 1));
          } else {
            stream(ctx, j, chunk + 1);
          }
        });
  }

  /** Blocking: one label chunk as CSV rows. */
  private Buffer render(Job j, int chunk) {
    String job = j.status().getString("job");
    long bytes = 2 * j.files().get(chunk).bytes() + (1 << 20);
    String holder = "export of job " + job + " chunk " + chunk;
    StringBuilder out = new StringBuilder();
    try (BudgetHold hold = BudgetHold.take(node.memoryPool(), holder, bytes, budgetWaitMs);
         BufferAllocator allocator = node.allocator().newChildAllocator(holder, 0, hold.bytes());
         VectorSchemaRoot labels = node.labels().read(job, chunk, j.files().get(chunk), allocator)) {
      int rows = labels.getRowCount();
      BigIntVector rowIds = (BigIntVector) labels.getVector(0);
      int lfs = labels.getFieldVectors().size() - 1;
      if (j.model() == null) {
        BaseIntVector[] columns = new BaseIntVector[lfs];
        for (int k = 0; k < lfs; k++) {
          columns[k] = (BaseIntVector) labels.getVector(k + 1);
        }
        for (int r = 0; r < rows; r++) {
          CsvWriter csv = new CsvWriter(out).field(rowIds.get(r));
          for (BaseIntVector column : columns) {
            csv.field(column.getValueAsLong(r));
          }
          csv.end();
        }
      } else {
        JsonArray classes = j.status().getJsonArray("classes");
        int step = Math.max(1, SLICE_VALUES / Math.max(1, lfs));
        for (int from = 0; from < rows; from += step) {
          int length = Math.min(step, rows - from);
          double[][] probs = new double[classes.size()][length];
          j.model().predictProba(LabelChunk.of(labels, from, length), probs);
          for (int r = 0; r < length; r++) {
            int best = -1;
            boolean tie = false;
            for (int c = 0; c < probs.length; c++) {
              if (best < 0 || probs[c][r] > probs[best][r] + 1e-12) {
                best = c;
                tie = false;
              } else if (Math.abs(probs[c][r] - probs[best][r]) <= 1e-12) {
                tie = true;
              }
            }
            CsvWriter csv = new CsvWriter(out).field(rowIds.get(from + r)).field(tie ? null : classes.getString(best));
            for (double[] p : probs) {
              csv.field((float) p[r]);
            }
            csv.end();
          }
        }
      }
    }
    return Buffer.buffer(out.toString());
  }

  private void devSet(RoutingContext ctx) {
    String user = ctx.get(HttpVerticle.USER);
    ctx.vertx().executeBlocking(() -> {
      String name = DatasetNames.qualify(user, ctx.pathParam("dataset"));
      String version = ctx.request().getParam("version");
      Manifest manifest = node.datasets().manifest(name, version == null ? null : parseVersion(version));
      DevSet dev = devSets.get(manifest.name(), manifest.version());
      StringBuilder out = new StringBuilder();
      new CsvWriter(out).field("row_id").field("label").end();
      for (int i = 0; i < dev.size(); i++) {
        new CsvWriter(out).field(dev.rows()[i]).field(dev.labels()[i]).end();
      }
      return out.toString();
    }, false).onComplete(ar -> {
      if (ar.failed()) {
        UploadRoute.fail(ctx, ar.cause(), false);
        return;
      }
      ctx.response().putHeader("Content-Type", "text/csv; charset=utf-8")
          .putHeader("Content-Disposition", "attachment; filename=\"devset-" + ctx.pathParam("dataset") + ".csv\"")
          .end(ar.result());
    });
  }

  private static int parseVersion(String text) {
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw LabelFlightException.invalid("'version' must be a number");
    }
  }
}
