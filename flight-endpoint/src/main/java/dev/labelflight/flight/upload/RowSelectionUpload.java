package dev.labelflight.flight.upload;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmatrix.RowBitmap;
import java.util.function.BooleanSupplier;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * DoPut {@code ["selections", JOB]}: the row ids of a subset of a job's label matrix, as one int64 column,
 * for an analysis or fit over rows of too many runs for JSON ranges. Read into a {@link RowBitmap} (one bit
 * per row of the job); the caller stores it beside the job and answers its id.
 */
final class RowSelectionUpload {
  private RowSelectionUpload() {}

  static boolean isFor(FlightDescriptor descriptor) {
    return !descriptor.isCommand() && descriptor.getPath().size() == 2 && descriptor.getPath().get(0).equals("selections");
  }

  /** Reads every batch of row ids into a selection over {@code rows} rows; INVALID_ARGUMENT for a bad column or id. */
  static RowBitmap read(FlightStream stream, long rows, BooleanSupplier cancelled) {
    Schema schema = stream.getSchema();
    if (schema.getFields().size() != 1 || !(schema.getFields().get(0).getType() instanceof ArrowType.Int i)
        || i.getBitWidth() != 64 || !i.getIsSigned()) {
      throw LabelFlightException.invalid("a row selection is one int64 column of row ids, not " + schema);
    }
    RowBitmap bitmap = RowBitmap.empty(rows);
    while (stream.next()) {
      if (cancelled.getAsBoolean()) {
        throw CallStatus.CANCELLED.withDescription("upload cancelled by the client").toRuntimeException();
      }
      if (stream.getLatestMetadata() != null) {
        UploadStreams.refuseIfAborted(stream.getLatestMetadata(), "row selection");
      }
      BigIntVector ids = (BigIntVector) stream.getRoot().getVector(0);
      int n = stream.getRoot().getRowCount();
      for (int r = 0; r < n; r++) {
        if (ids.isNull(r)) {
          throw LabelFlightException.invalid("a row selection holds a null row id");
        }
        bitmap.add(ids.get(r));
      }
    }
    if (cancelled.getAsBoolean()) {
      throw CallStatus.CANCELLED.withDescription("upload cancelled by the client").toRuntimeException();
    }
    return bitmap;
  }
}
