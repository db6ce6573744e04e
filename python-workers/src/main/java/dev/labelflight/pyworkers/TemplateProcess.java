package dev.labelflight.pyworkers;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Python process that holds one (user, LF set) loaded and forks its workers ({@code labelflight_worker.template}).
 * Started with an empty environment (nothing of the server's, such as secrets, reaches user code) and a control
 * stream on its stdin/stdout; its stderr (and its workers') goes to the log. Closing stdin ends it and its
 * workers; {@link #close} also kills it.
 */
final class TemplateProcess implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TemplateProcess.class);
  private static final String LAUNCH =
      "import sys; sys.path.insert(0, sys.argv[1]); from labelflight_worker.template import main; main()";

  private final Process process;
  private final DataOutputStream control;
  private final DataInputStream replies;
  private final String what;

  private TemplateProcess(Process process, String what) {
    this.process = process;
    this.what = what;
    this.control = new DataOutputStream(new java.io.BufferedOutputStream(process.getOutputStream(), 1 << 16));
    this.replies = new DataInputStream(new java.io.BufferedInputStream(process.getInputStream(), 1 << 16));
  }

  /** Starts a template for {@code what} ("user 'u' LF set abc"), allowed to read files under {@code roots}. */
  static TemplateProcess start(PythonWorkersConfig config, Path packageDir, Path home, Path socket, List<String> roots,
      String what) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(config.python().toString(), "-s", "-B", "-c", LAUNCH,
        packageDir.toString());
    Map<String, String> env = builder.environment();
    env.clear();
    env.put("PATH", "/usr/local/bin:/usr/bin:/bin");
    env.put("LANG", "C.UTF-8");
    env.put("HOME", home.toString());
    env.put("PYTHONDONTWRITEBYTECODE", "1");
    // One thread per worker: the pool is the parallelism; native thread pools would oversubscribe the cores.
    for (String v : List.of("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")) {
      env.put(v, "1");
    }
    env.put("MALLOC_ARENA_MAX", "2");
    builder.directory(home.toFile());
    Process process = builder.start();
    TemplateProcess t = new TemplateProcess(process, what);
    t.drainStderr();
    ObjectNode init = Frame.newHeader();
    init.put("op", "init");
    init.put("socket", socket.toString());
    init.putPOJO("roots", roots);
    init.put("cpuSeconds", config.cpuSeconds());
    init.put("maxOpenFiles", config.maxOpenFiles());
    init.put("maxProcesses", config.maxProcesses());
    try {
      Frame.of(init).write(t.control);
    } catch (IOException e) {
      t.close();
      throw e;
    }
    return t;
  }

  private void drainStderr() {
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          LOG.info("python [{}]: {}", what, line);
        }
      } catch (IOException ignored) {
        // the process ended
      }
    }, "python-template-stderr");
    t.setDaemon(true);
    t.start();
  }

  ProcessHandle handle() {
    return process.toHandle();
  }

  long pid() {
    return process.pid();
  }

  /** Sends a request and reads its reply; the caller bounds the wait (a watchdog kills the process). */
  synchronized Frame request(Frame request) throws IOException {
    request.write(control);
    return Frame.read(replies);
  }

  boolean isAlive() {
    return process.isAlive();
  }

  @Override
  public void close() {
    try {
      control.close();
    } catch (IOException ignored) {
      // killed below anyway
    }
    process.destroyForcibly();
  }

  @Override
  public String toString() {
    return "template " + process.pid() + " (" + what + ")";
  }
}
