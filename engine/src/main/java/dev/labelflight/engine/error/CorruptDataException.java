package dev.labelflight.engine.error;

/** A stored file does not match its manifest (size or checksum): it is reported, never read as data. */
public final class CorruptDataException extends LabelFlightException {
  public CorruptDataException(String message) {
    super(Kind.INTERNAL, message);
  }
}
