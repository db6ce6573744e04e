package dev.labelflight.http.transfer;

import dev.labelflight.engine.csv.CsvReader;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.store.DatasetNames;
import dev.labelflight.engine.store.DatasetUpload;
import dev.labelflight.engine.store.DictionaryColumns;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.http.HttpRoutes;
import dev.labelflight.http.HttpVerticle;
import dev.labelflight.verticles.bus.BusErrors;
import dev.labelflight.verticles.node.NodeResources;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.types.pojo.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /api/upload/NAME?format=csv|arrow} with the user's bearer token: the body (CSV with a header
 * row, or Arrow IPC in stream or file format) becomes the next version of the user's dataset NAME, streamed
 * through a {@link BodyPipe} into a {@link DatasetUpload} on a worker, chunk by chunk, under a budget
 * reservation of {@code memoryBytes} with an allocator capped at it. Nothing is stored unless the whole body
 * parses: a schema error (a value that does not fit its column, a bad record) answers 400 with the message
 * naming row, column and value, and the staged chunks are deleted. Answers {@code {"dataset", "version",
 * "rows", "chunks", "columns"}}. Parquet is not read here (Arrow Java reads Parquet only through the native
 * dataset module); the Python client uploads it. Config ({@code http.upload}): {@code maxBytes},
 * {@code memoryMiB}, {@code maxConcurrent}, {@code stallMs}.
 */
public final class UploadRoute implements HttpRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(UploadRoute.class);
  private static final byte[] ARROW_FILE_MAGIC = "ARROW1".getBytes(StandardCharsets.US_ASCII);

  /** Limits of browser uploads. */
  public record Settings(long maxBytes, long memoryBytes, int maxConcurrent, long stallMs, long budgetWaitMs) {
    public static Settings from(JsonObject conf) {
      return new Settings(conf.getLong("maxBytes", 1L << 30), conf.getLong("memoryMiB", 64L) << 20,
          conf.getInteger("maxConcurrent", 2), conf.getLong("stallMs", 60_000L), conf.getLong("budgetWaitMs", 30_000L));
    }
  }

  /** Which node stores a dataset: a cluster stores each name on one node. Blocking. */
  public interface Placement {
    /** Empty if this node may store {@code dataset} (claiming it), else the node that owns it. */
    Optional<String> claim(String dataset);

    /** Gives back a name claimed for an upload that stored nothing. */
    void release(String dataset);

    Placement LOCAL = new Placement() {
      @Override
      public Optional<String> claim(String dataset) {
        return Optional.empty();
      }

      @Override
      public void release(String dataset) {
      }
    };
  }

  private final NodeResources node;
  private final Settings settings;
  private final Placement placement;
  private final AtomicInteger running = new AtomicInteger();

  public UploadRoute(NodeResources node, Settings settings, Placement placement) {
    this.node = node;
    this.settings = settings;
    this.placement = placement;
  }

  @Override
  public void mount(Router router, Handler<RoutingContext> authenticate) {
    // Paused before anything asynchronous (checking the token): body bytes that arrive meanwhile stay in the
    // connection instead of being dropped, and a client that does not wait for 100-continue loses nothing.
    router.post("/api/upload/:dataset").handler(ctx -> {
      ctx.request().pause();
      ctx.next();
    }).handler(authenticate).handler(this::upload);
  }

  private void upload(RoutingContext ctx) {
    var request = ctx.request();
    request.pause();
    String name;
    String format;
    try {
      name = DatasetNames.qualify(ctx.get(HttpVerticle.USER), ctx.pathParam("dataset"));
      format = request.getParam("format", "csv");
      if (!format.equals("csv") && !format.equals("arrow")) {
        throw LabelFlightException.invalid("'format' must be csv or arrow (Arrow IPC); for Parquet, upload from Python");
      }
      String length = request.getHeader("Content-Length");
      if (length != null && Long.parseLong(length) > settings.maxBytes()) {
        throw LabelFlightException.exhausted("the upload is larger than http.maxUploadBytes (" + settings.maxBytes()
            + " bytes)");
      }
    } catch (RuntimeException e) {
      fail(ctx, e, true);
      return;
    }
    if (running.incrementAndGet() > settings.maxConcurrent()) {
      running.decrementAndGet();
      fail(ctx, LabelFlightException.exhausted("this node takes " + settings.maxConcurrent()
          + " browser uploads at a time (http.upload.maxConcurrent); try again shortly"), true);
      return;
    }
    BodyPipe body = new BodyPipe(request, ctx.vertx().getOrCreateContext(), settings.maxBytes(), settings.stallMs());
    ctx.vertx().executeBlocking(() -> {
      Optional<String> owner = placement.claim(name);
      if (owner.isPresent()) {
        throw new LabelFlightException(LabelFlightException.Kind.ALREADY_EXISTS, "dataset '"
            + DatasetNames.display(name) + "' is stored on node " + owner.get() + ": upload new versions there, or"
            + " through Flight (the Python client), which relays to it");
      }
      ctx.vertx().runOnContext(v -> body.start());
      try {
        return store(name, format, body);
      } catch (RuntimeException | Error e) {
        releaseIfEmpty(name);
        throw e;
      }
    }, false).onComplete(ar -> {
      running.decrementAndGet();
      body.close();
      if (ar.succeeded()) {
        Manifest m = ar.result();
        ctx.json(new JsonObject().put("dataset", DatasetNames.display(m.name())).put("version", m.version())
            .put("rows", m.rows()).put("chunks", m.chunks().size()).put("bytes", body.received()));
      } else if (body.ended() || body.received() > settings.maxBytes()) {
        fail(ctx, ar.cause(), !body.ended());
      } else {
        // The client is still sending: browsers report a reset, not the answer, when the connection closes
        // under an upload. Take the rest of the body (at most maxBytes in all, not kept), then answer.
        failAfterBody(ctx, ar.cause());
      }
    });
  }

  /** Blocking: parses the body into a new version; nothing is stored unless it all parses. */
  private Manifest store(String name, String format, BodyPipe body) {
    String holder = "browser upload of " + DatasetNames.display(name);
    try (BudgetHold hold = BudgetHold.take(node.memoryPool(), holder, settings.memoryBytes(), settings.budgetWaitMs());
         BufferAllocator allocator = node.allocator().newChildAllocator(holder, 0, hold.bytes())) {
      Manifest manifest = format.equals("csv") ? storeCsv(name, body, allocator) : storeArrow(name, body, allocator);
      LOG.info("stored dataset {} v{} from a browser upload: {} rows in {} chunks", manifest.name(), manifest.version(),
          manifest.rows(), manifest.chunks().size());
      return manifest;
    } catch (org.apache.arrow.memory.OutOfMemoryException e) {
      throw LabelFlightException.exhausted("the upload needs more memory than http.upload.memoryMiB ("
          + (settings.memoryBytes() >> 20) + " MiB) for one chunk; raise it, lower store.chunkRows, or upload from Python");
    }
  }

  private Manifest storeCsv(String name, BodyPipe body, BufferAllocator allocator) {
    try (CsvReader reader = new CsvReader(body, allocator, CsvReader.Options.defaults());
         DatasetUpload upload = node.datasets().beginUpload(name, reader.schema(), allocator)) {
      for (VectorSchemaRoot batch = reader.next(); batch != null; batch = reader.next()) {
        try (VectorSchemaRoot b = batch) {
          upload.append(b);
        }
      }
      return upload.commit();
    }
  }

  private Manifest storeArrow(String name, BodyPipe body, BufferAllocator allocator) {
    try (ArrowStreamReader reader = new ArrowStreamReader(skipFileMagic(body), allocator)) {
      VectorSchemaRoot root = reader.getVectorSchemaRoot();
      Schema schema = root.getSchema();
      boolean dictionaries = DictionaryColumns.any(schema);
      DatasetUpload upload = dictionaries ? null : node.datasets().beginUpload(name, schema, allocator);
      try {
        while (reader.loadNextBatch()) {
          if (!dictionaries) {
            upload.append(root);
            continue;
          }
          Schema stored = DictionaryColumns.decodedSchema(schema, reader);
          if (upload == null) {
            upload = node.datasets().beginUpload(name, stored, allocator);
          }
          try (VectorSchemaRoot plain = DictionaryColumns.decode(root, reader, stored, node.datasets().uploadLimits(), name, allocator)) {
            upload.append(plain);
          }
        }
        if (upload == null) {
          upload = node.datasets().beginUpload(name, DictionaryColumns.decodedSchema(schema, reader), allocator);
        }
        return upload.commit();
      } finally {
        if (upload != null) {
          upload.close();
        }
      }
    } catch (IOException e) {
      throw LabelFlightException.invalid("the body is not Arrow IPC: " + e.getMessage());
    }
  }

  /** The Arrow IPC file format is the stream format after an 8-byte magic (and a footer the stream reader never reaches). */
  private static InputStream skipFileMagic(InputStream in) {
    try {
      PushbackInputStream pushback = new PushbackInputStream(in, 8);
      byte[] head = pushback.readNBytes(8);
      if (!(head.length == 8 && Arrays.equals(head, 0, 6, ARROW_FILE_MAGIC, 0, 6))) {
        pushback.unread(head);
      }
      return pushback;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the upload", e);
    }
  }

  private void releaseIfEmpty(String name) {
    try {
      if (node.datasets().versions(name).isEmpty()) {
        placement.release(name);
      }
    } catch (RuntimeException e) {
      LOG.debug("could not release dataset name {}: {}", name, e.toString());
    }
  }

  private void failAfterBody(RoutingContext ctx, Throwable error) {
    var request = ctx.request();
    long[] taken = {0};
    request.handler(buffer -> {
      taken[0] += buffer.length();
      if (taken[0] > settings.maxBytes()) {
        request.handler(null);
        fail(ctx, error, true);
      }
    });
    request.endHandler(v -> {
      if (!ctx.response().ended()) {
        fail(ctx, error, false);
      }
    });
    request.exceptionHandler(e -> ctx.response().reset());
    request.resume();
  }

  /** Answers an error as JSON with the HTTP status of its kind; closes the connection if the body was not read. */
  static void fail(RoutingContext ctx, Throwable error, boolean closeConnection) {
    LabelFlightException e = BusErrors.toLabelFlight(error);
    int status = switch (e.kind()) {
      case INVALID_ARGUMENT -> 400;
      case NOT_FOUND -> 404;
      case ALREADY_EXISTS -> 409;
      case RESOURCE_EXHAUSTED -> e.getMessage().contains("larger than") ? 413 : 429;
      case TIMED_OUT -> 408;
      case UNAVAILABLE -> 503;
      case CANCELLED -> 499;
      case INTERNAL -> 500;
    };
    if (ctx.response().ended()) {
      return;
    }
    if (ctx.response().headWritten()) {
      ctx.response().reset();
      return;
    }
    if (closeConnection) {
      ctx.response().putHeader("Connection", "close");
    }
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("error", e.getMessage()).put("code", e.kind().name()).encode());
  }
}
