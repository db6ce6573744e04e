package dev.labelflight.server.logging;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The server's logging (SLF4J over java.util.logging): one line per record on stderr, as text or, with
 * {@code logging.json: true}, as JSON ({@link JsonLogFormatter}); INFO by default, WARN for gRPC, Netty and Arrow.
 */
public final class ConsoleLogging {
  private static final Map<String, Level> QUIET = Map.of("io.grpc", Level.WARNING, "io.netty", Level.WARNING,
      "org.apache.arrow", Level.WARNING);
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

  private ConsoleLogging() {}

  /** Replaces the JVM's default console handler by ours. */
  public static void configure(boolean json) {
    LogManager.getLogManager().reset();
    Logger root = Logger.getLogger("");
    root.setLevel(Level.INFO);
    Handler handler = new ConsoleHandler();
    handler.setLevel(Level.ALL);
    handler.setFormatter(json ? new JsonLogFormatter() : new TextFormatter());
    root.addHandler(handler);
    QUIET.forEach((name, level) -> Logger.getLogger(name).setLevel(level));
  }

  /** SLF4J's name for a java.util.logging level. */
  static String levelName(Level level) {
    int v = level.intValue();
    if (v >= Level.SEVERE.intValue()) {
      return "ERROR";
    } else if (v >= Level.WARNING.intValue()) {
      return "WARN";
    } else if (v >= Level.INFO.intValue()) {
      return "INFO";
    } else if (v >= Level.FINE.intValue()) {
      return "DEBUG";
    }
    return "TRACE";
  }

  static String stackTrace(Throwable t) {
    StringWriter trace = new StringWriter();
    t.printStackTrace(new PrintWriter(trace));
    return trace.toString();
  }

  /** {@code HH:mm:ss.SSS [thread] LEVEL logger - message}, as slf4j-simple printed it. */
  private static final class TextFormatter extends Formatter {
    @Override
    public String format(LogRecord record) {
      StringBuilder line = new StringBuilder()
          .append(TIME.format(LocalTime.ofInstant(record.getInstant(), ZoneId.systemDefault())))
          .append(" [").append(Thread.currentThread().getName()).append("] ")
          .append(levelName(record.getLevel())).append(' ')
          .append(record.getLoggerName()).append(" - ").append(formatMessage(record)).append(System.lineSeparator());
      if (record.getThrown() != null) {
        line.append(stackTrace(record.getThrown()));
      }
      return line.toString();
    }
  }
}
