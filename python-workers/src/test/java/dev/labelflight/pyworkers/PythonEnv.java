package dev.labelflight.pyworkers;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** The workers' Python for tests: {@code setup-python-env.sh} makes it when missing (quick when present). */
final class PythonEnv {
  private static Path python;

  private PythonEnv() {}

  static synchronized Path python() throws Exception {
    if (python == null) {
      Process p = new ProcessBuilder("bash", Path.of("setup-python-env.sh").toAbsolutePath().toString())
          .redirectError(ProcessBuilder.Redirect.INHERIT).start();
      String out = new String(p.getInputStream().readAllBytes()).trim();
      if (!p.waitFor(20, TimeUnit.MINUTES) || p.exitValue() != 0 || !Files.isExecutable(Path.of(out))) {
        throw new IllegalStateException("python-workers/setup-python-env.sh failed: " + out);
      }
      python = Path.of(out);
    }
    return python;
  }
}
