package dev.labelflight.pyworkers;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Unpacks the Python worker package from this module's jar (resources under {@code python/}) into a directory. */
final class WorkerPackage {
  static final List<String> MODULES = List.of("__init__.py", "fingerprint.py", "frames.py", "functions.py",
      "labeling.py", "limits.py", "rows.py", "template.py");

  private WorkerPackage() {}

  /** Writes {@code labelflight_worker/} under {@code dir} and returns {@code dir} (the entry for sys.path). */
  static Path unpack(Path dir) throws IOException {
    Path pkg = Files.createDirectories(dir.resolve("labelflight_worker"));
    for (String module : MODULES) {
      try (InputStream in = WorkerPackage.class.getResourceAsStream("/python/labelflight_worker/" + module)) {
        if (in == null) {
          throw new IOException("the worker package is missing " + module + " (python-workers jar incomplete)");
        }
        Files.write(pkg.resolve(module), in.readAllBytes());
      }
    }
    return dir;
  }
}
