package dev.labelflight.server.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The server's console logging through SLF4J, as text and as JSON. */
class ConsoleLoggingTest {

  /** Runs {@code body} with logging configured as asked and returns what reached stderr. */
  private static String stderr(boolean json, Consumer<Logger> body) {
    PrintStream original = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setErr(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      ConsoleLogging.configure(json);
      body.accept(LoggerFactory.getLogger("dev.labelflight.test.Logged"));
    } finally {
      System.setErr(original);
      ConsoleLogging.configure(false);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** Verifies that with JSON on, every log line is one valid JSON object with time, level, logger and message. */
  @Test
  void jsonLinesCarryLevelLoggerMessageAndTime() {
    String out = stderr(true, log -> {
      log.info("job {} \"done\"", 7);
      log.warn("careful", new IllegalStateException("boom"));
      log.debug("not shown at INFO");
      LoggerFactory.getLogger("io.grpc.Noisy").info("quiet below WARN");
    });
    String[] lines = out.strip().split("\n");
    assertEquals(2, lines.length, out);
    JsonObject info = new JsonObject(lines[0]);
    assertEquals("INFO", info.getString("level"));
    assertEquals("dev.labelflight.test.Logged", info.getString("logger"));
    assertEquals("job 7 \"done\"", info.getString("message"));
    assertTrue(Math.abs(Instant.parse(info.getString("time")).toEpochMilli() - System.currentTimeMillis()) < 60_000);
    JsonObject warn = new JsonObject(lines[1]);
    assertEquals("WARN", warn.getString("level"));
    assertTrue(warn.getString("error").contains("IllegalStateException: boom"), warn.encode());
  }

  /** Verifies that with JSON off, a record is one plain text line naming level, logger and message. */
  @Test
  void textLinesByDefault() {
    String out = stderr(false, log -> log.info("hello {}", "world"));
    assertTrue(out.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} \\[[^]]+] INFO dev\\.labelflight\\.test\\.Logged - hello world\\R"), out);
  }
}
