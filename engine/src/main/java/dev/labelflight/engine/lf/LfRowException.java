package dev.labelflight.engine.lf;

import dev.labelflight.engine.error.LabelFlightException;

/**
 * An LF failed on one row (a CEL runtime error, a class index out of range, a model that cannot score the
 * row) and is not fault tolerant: INVALID_ARGUMENT naming the LF, the row and what kind of failure it was,
 * with the details LF, LF kind and row. The reason never quotes the row's values (row ids only, in errors
 * as in logs). Evaluators know chunk rows only; {@link #inDataset} restates the row as a dataset row.
 */
public final class LfRowException extends LabelFlightException {
  private final String lf;
  private final LfKind kind;
  private final long row;
  private final String reason;

  public LfRowException(String lf, LfKind kind, long row, String reason) {
    this(lf, kind, row, reason, "chunk row ");
  }

  private LfRowException(String lf, LfKind kind, long row, String reason, String where) {
    super(Kind.INVALID_ARGUMENT, "LF '" + lf + "' (" + kind + ") failed on " + where + row + ": " + reason
        + "; set \"faultTolerant\": true on the LF to abstain on such rows and count them as faults");
    this.lf = lf;
    this.kind = kind;
    this.row = row;
    this.reason = reason;
    withDetail(Detail.LF, lf).withDetail(Detail.LF_KIND, kind.id()).withDetail(Detail.ROW, row);
  }

  /** The same failure with the row counted from the start of the dataset ({@code firstRow} is the chunk's). */
  public LfRowException inDataset(long firstRow) {
    return new LfRowException(lf, kind, firstRow + row, reason, "row ");
  }

  public String lf() {
    return lf;
  }

  /** The failing row: within the chunk, or within the dataset after {@link #inDataset}. */
  public long row() {
    return row;
  }
}
