package dev.labelflight.flight.upload;

import dev.labelflight.engine.error.LabelFlightException;
import java.util.List;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Reads an upload's batches one by one, refusing a schema change in the middle. A client that sends a
 * second schema message makes Flight load later batches into a new root of its own while {@code
 * getRoot()} keeps the first one, which would then be appended again (or, cleared, append nothing): so a
 * batch must replace the root's buffers and Flight's current root must still be it, else the schema
 * changed. A batch that does not decode against the schema fails the same way, as INVALID_ARGUMENT.
 */
final class UploadBatches {
  private UploadBatches() {}

  /** The next batch, in {@code stream.getRoot()}; false at the end. {@code name} is for messages. */
  static boolean next(FlightStream stream, String name) {
    VectorSchemaRoot root = stream.getRoot();
    List<ArrowBuf> before = root.getFieldVectors().isEmpty() ? List.of() : root.getVector(0).getFieldBuffers();
    boolean more;
    try {
      more = stream.next();
    } catch (IllegalArgumentException | IllegalStateException | UnsupportedOperationException e) {
      String detail = String.valueOf(e.getMessage());
      throw schemaChanged(name, detail.length() > 200 ? detail.substring(0, 200) + "..." : detail);
    }
    if (more && stream.getLatestMetadata() != null) {
      UploadStreams.refuseIfAborted(stream.getLatestMetadata(), name);
    }
    if (more && !before.isEmpty()) {
      List<ArrowBuf> after = root.getVector(0).getFieldBuffers();
      boolean loaded = after.size() != before.size();
      for (int i = 0; !loaded && i < after.size(); i++) {
        loaded = after.get(i) != before.get(i);
      }
      if (!loaded || UploadStreams.rootReplaced(stream, root)) {
        throw schemaChanged(name, "a second schema message arrived");
      }
    }
    return more;
  }

  private static LabelFlightException schemaChanged(String name, String detail) {
    return LabelFlightException.invalid("upload of '" + name + "': the schema changed in the middle of the upload,"
        + " or a batch does not match it (" + detail + ")");
  }
}
