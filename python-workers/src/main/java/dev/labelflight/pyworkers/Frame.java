package dev.labelflight.pyworkers;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;

/**
 * One message between the supervisor and a Python process: a small JSON header (control only) and a binary
 * body (pickles to the template, Arrow IPC label columns from workers). Wire layout, big endian: u32 header
 * length, header, u64 body length, body (see {@code labelflight_worker/frames.py}).
 */
record Frame(ObjectNode header, byte[] body) {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_HEADER = 16 << 20;
  /** Bodies from workers are label columns: rows x LFs bytes plus Arrow framing. */
  private static final long MAX_BODY = 1L << 30;

  static Frame of(ObjectNode header) {
    return new Frame(header, new byte[0]);
  }

  static ObjectNode newHeader() {
    return JSON.createObjectNode();
  }

  void write(DataOutputStream out) throws IOException {
    byte[] h = JSON.writeValueAsBytes(header);
    out.writeInt(h.length);
    out.write(h);
    out.writeLong(body.length);
    out.write(body);
    out.flush();
  }

  static Frame read(DataInputStream in) throws IOException {
    int length = in.readInt();
    if (length < 0 || length > MAX_HEADER) {
      throw new IOException("frame header of " + length + " bytes");
    }
    byte[] h = in.readNBytes(length);
    if (h.length != length) {
      throw new EOFException();
    }
    long bodyLength = in.readLong();
    if (bodyLength < 0 || bodyLength > MAX_BODY) {
      throw new IOException("frame body of " + bodyLength + " bytes");
    }
    byte[] body = in.readNBytes((int) bodyLength);
    if (body.length != bodyLength) {
      throw new EOFException();
    }
    return new Frame((ObjectNode) JSON.readTree(h), body);
  }
}
