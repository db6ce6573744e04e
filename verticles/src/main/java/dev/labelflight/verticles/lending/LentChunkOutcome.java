package dev.labelflight.verticles.lending;

import dev.labelflight.engine.error.CorruptDataException;
import dev.labelflight.verticles.worker.ChunkReport;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import org.apache.arrow.memory.BufferAllocator;

/**
 * What a node that ran a chunk of another node's job sends back to that job's home node (a borrowed
 * task, or a chunk of a job run on a resident copy held here): the chunk is {@link Kind#DONE} (its
 * report and its label columns), {@link Kind#RETURNED} (not run: the home runs it again, anywhere), or
 * {@link Kind#FAILED} (it failed here: the home runs it itself, where a real fault fails the job as on one
 * node).
 *
 * <p>On the bus it is one binary message: a 4-byte length, the JSON header, then the label columns as an
 * Arrow IPC stream ({@link LabelColumns}); never labels inside JSON.
 */
public record LentChunkOutcome(Kind kind, String job, int chunk, String node, ChunkReport report, String reason,
    Buffer labels) {

  /** How the chunk ended on the node that ran it. */
  public enum Kind { DONE, RETURNED, FAILED }

  /** A finished chunk with its label columns (written as Arrow with {@code allocator}). */
  public static LentChunkOutcome done(ChunkReport report, byte[][] columns, int rows, BufferAllocator allocator) {
    Buffer labels = Buffer.buffer(Math.max(1024, rows * columns.length + 16 * 1024));
    LabelColumns.write(columns, rows, allocator, labels);
    return new LentChunkOutcome(Kind.DONE, report.job(), report.chunk(), report.node(), report, null, labels);
  }

  public static LentChunkOutcome returned(String job, int chunk, String node, String why) {
    return new LentChunkOutcome(Kind.RETURNED, job, chunk, node, null, why, null);
  }

  public static LentChunkOutcome failed(String job, int chunk, String node, String error) {
    return new LentChunkOutcome(Kind.FAILED, job, chunk, node, null, error, null);
  }

  /** The label columns, read back and checked against the expected shape. */
  public byte[][] labelColumns(int lfs, BufferAllocator allocator) {
    if (labels == null) {
      throw new CorruptDataException("outcome of job " + job + " chunk " + chunk + " carries no labels");
    }
    return LabelColumns.read(labels, lfs, report.rows(), allocator);
  }

  public Buffer toBuffer() {
    JsonObject header = new JsonObject().put("kind", kind.name()).put("job", job).put("chunk", chunk).put("node", node);
    if (report != null) {
      header.put("report", report.toJson());
    }
    if (reason != null) {
      header.put("reason", reason);
    }
    byte[] head = header.encode().getBytes(StandardCharsets.UTF_8);
    Buffer out = Buffer.buffer(4 + head.length + (labels == null ? 0 : labels.length()));
    out.appendInt(head.length).appendBytes(head);
    if (labels != null) {
      out.appendBuffer(labels);
    }
    return out;
  }

  /** Reads an outcome; CorruptDataException if the message is not one. */
  public static LentChunkOutcome fromBuffer(Buffer in) {
    try {
      int length = in.getInt(0);
      if (length <= 0 || 4L + length > in.length()) {
        throw new CorruptDataException("chunk outcome with a header of " + length + " bytes in " + in.length());
      }
      JsonObject header = new JsonObject(in.getString(4, 4 + length, StandardCharsets.UTF_8.name()));
      Kind kind = Kind.valueOf(header.getString("kind"));
      JsonObject report = header.getJsonObject("report");
      Buffer labels = kind == Kind.DONE ? in.slice(4 + length, in.length()) : null;
      return new LentChunkOutcome(kind, header.getString("job"), header.getInteger("chunk"), header.getString("node"),
          report == null ? null : ChunkReport.fromJson(report), header.getString("reason"), labels);
    } catch (CorruptDataException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new CorruptDataException("unreadable chunk outcome: " + e);
    }
  }
}
