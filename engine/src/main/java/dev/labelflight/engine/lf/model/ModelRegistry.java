package dev.labelflight.engine.lf.model;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import dev.labelflight.engine.error.LabelFlightException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The ONNX models of one node: each file under the models directory is loaded once, on first use, into an
 * ONNX Runtime session that every job and worker shares (sessions are thread-safe). Closed with the node.
 */
public final class ModelRegistry implements AutoCloseable {
  private final Path directory;
  private final Map<Path, OrtSession> sessions = new ConcurrentHashMap<>();

  public ModelRegistry(Path directory) {
    this.directory = directory.toAbsolutePath().normalize();
  }

  public Path directory() {
    return directory;
  }

  /** ONNX Runtime's process-wide environment, loaded (native library and all) on first use only. */
  OrtEnvironment environment() {
    return OrtEnvironment.getEnvironment();
  }

  /**
   * The session for {@code name}, a path relative to the models directory. INVALID_ARGUMENT if it leaves the
   * directory, does not exist or is not a model ONNX Runtime can load.
   */
  public OrtSession session(String name) {
    Path path = directory.resolve(name).normalize();
    if (!path.startsWith(directory) || Path.of(name).isAbsolute()) {
      throw LabelFlightException.invalid("model '" + name + "' is outside the models directory");
    }
    if (!Files.isRegularFile(path)) {
      throw LabelFlightException.invalid("model file '" + name + "' not found in the models directory " + directory);
    }
    return sessions.computeIfAbsent(path, p -> {
      try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
        // ONNX Runtime logs a failed run with its message, which may quote the row's text: fatal errors only.
        options.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
        return environment().createSession(p.toString(), options);
      } catch (OrtException e) {
        throw LabelFlightException.invalid("model '" + name + "' cannot be loaded: " + e.getMessage());
      }
    });
  }

  /** How many models are loaded. */
  public int loaded() {
    return sessions.size();
  }

  @Override
  public void close() {
    for (OrtSession session : sessions.values()) {
      try {
        session.close();
      } catch (OrtException e) {
        // Closing at shutdown: nothing left to do with a session that fails to close.
      }
    }
    sessions.clear();
  }
}
