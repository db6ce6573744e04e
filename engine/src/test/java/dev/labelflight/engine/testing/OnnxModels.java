package dev.labelflight.engine.testing;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * ONNX models written by code for tests (the ONNX protobuf messages by field number, so no ONNX tooling is
 * needed): {@link #parseNumber} turns a text column into its number and fails on a row that is not one,
 * like any model that cannot handle some input.
 */
public final class OnnxModels {
  private static final int FLOAT = 1;
  private static final int STRING = 8;
  private static final int ATTRIBUTE_INT = 2;

  private OnnxModels() {}

  /**
   * Writes to {@code file} a model whose string input {@code input [N, 1]} is cast to float
   * ({@code score [N, 1]}): ONNX Runtime's Cast fails the run where a string is not a number.
   */
  public static Path parseNumber(Path file) {
    byte[] to = message(o -> {
      o.writeString(1, "to");
      o.writeInt64(3, FLOAT);
      o.writeEnum(20, ATTRIBUTE_INT);
    });
    byte[] cast = message(o -> {
      o.writeString(1, "input");
      o.writeString(2, "score");
      o.writeString(3, "cast");
      o.writeString(4, "Cast");
      o.writeByteArray(5, to);
    });
    byte[] graph = message(o -> {
      o.writeByteArray(1, cast);
      o.writeString(2, "parse_number");
      o.writeByteArray(11, tensor("input", STRING));
      o.writeByteArray(12, tensor("score", FLOAT));
    });
    byte[] model = message(o -> {
      o.writeInt64(1, 8); // IR version
      o.writeString(2, "labelflight-tests");
      o.writeByteArray(7, graph);
      o.writeByteArray(8, message(opset -> {
        opset.writeString(1, "");
        opset.writeInt64(2, 17);
      }));
    });
    try {
      Files.createDirectories(file.getParent());
      return Files.write(file, model);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A value info {@code name}: a tensor of {@code type} and shape {@code [N, 1]}. */
  private static byte[] tensor(String name, int type) {
    byte[] shape = message(o -> {
      o.writeByteArray(1, message(d -> d.writeString(2, "N")));
      o.writeByteArray(1, message(d -> d.writeInt64(1, 1)));
    });
    byte[] tensorType = message(o -> {
      o.writeInt32(1, type);
      o.writeByteArray(2, shape);
    });
    return message(o -> {
      o.writeString(1, name);
      o.writeByteArray(2, message(t -> t.writeByteArray(1, tensorType)));
    });
  }

  private interface Fields {
    void write(CodedOutputStream out) throws IOException;
  }

  private static byte[] message(Fields fields) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      fields.write(out);
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
