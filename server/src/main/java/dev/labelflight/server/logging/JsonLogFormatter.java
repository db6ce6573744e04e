package dev.labelflight.server.logging;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/** One JSON object per line: {@code time} (ISO-8601 UTC), {@code level} (SLF4J names), {@code logger}, {@code thread}, {@code message}, {@code error}?. */
public final class JsonLogFormatter extends Formatter {
  @Override
  public String format(LogRecord record) {
    JsonObject line = new JsonObject()
        .put("time", Instant.ofEpochMilli(record.getMillis()).toString())
        .put("level", ConsoleLogging.levelName(record.getLevel()))
        .put("logger", record.getLoggerName())
        .put("thread", Thread.currentThread().getName())
        .put("message", formatMessage(record));
    if (record.getThrown() != null) {
      line.put("error", ConsoleLogging.stackTrace(record.getThrown()));
    }
    return line.encode() + System.lineSeparator();
  }
}
