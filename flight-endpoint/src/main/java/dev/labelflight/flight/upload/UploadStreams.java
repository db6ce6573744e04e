package dev.labelflight.flight.upload;

import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Tells whether Flight swapped an upload's root: on a second schema message, {@link FlightStream} loads
 * later batches into a new root of its own ({@code fulfilledRoot}, private) while {@code getRoot()} keeps
 * returning the first, cleared. Flight 19 offers no public way to see this, so the field is read
 * reflectively; if a later Arrow renames it, this answers false and the caller's buffer check remains.
 * Also reads the abort note a client sends when it fails mid-upload (Flight's DoPut has no cancel in pyarrow).
 */
final class UploadStreams {
  private static final Field CURRENT_ROOT = currentRootField();

  private UploadStreams() {}

  private static Field currentRootField() {
    try {
      Field f = FlightStream.class.getDeclaredField("fulfilledRoot");
      f.setAccessible(true);
      return f;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  /** True if the stream now loads batches into a root other than {@code first}. */
  static boolean rootReplaced(FlightStream stream, VectorSchemaRoot first) {
    if (CURRENT_ROOT == null) {
      return false;
    }
    try {
      Object current = CURRENT_ROOT.get(stream);
      return current != null && current != first;
    } catch (IllegalAccessException e) {
      return false;
    }
  }

  /** The metadata-only message a client sends to abandon an upload: {@code {"abort": "reason"}}. */
  private static final String ABORT = "{\"abort\"";

  /** Throws CANCELLED if {@code metadata} is a client's abort note: the upload then stores nothing. */
  static void refuseIfAborted(ArrowBuf metadata, String name) {
    int length = (int) Math.min(metadata.readableBytes(), 4096);
    byte[] bytes = new byte[length];
    metadata.getBytes(metadata.readerIndex(), bytes);
    String text = new String(bytes, StandardCharsets.UTF_8).strip();
    if (text.startsWith(ABORT)) {
      throw CallStatus.CANCELLED.withDescription("upload of '" + name + "' abandoned by the client").toRuntimeException();
    }
  }
}
