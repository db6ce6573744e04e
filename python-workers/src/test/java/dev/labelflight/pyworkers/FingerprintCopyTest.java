package dev.labelflight.pyworkers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Verifies that the client's and the worker's fingerprint modules are the same file: the worker refuses a
 * function whose fingerprint it computes differently, so one edited without the other breaks every Python LF.
 */
class FingerprintCopyTest {
  @Test
  void clientAndWorkerFingerprintAreIdentical() throws Exception {
    String worker = Files.readString(Path.of("src/main/python/labelflight_worker/fingerprint.py"));
    String client = Files.readString(Path.of("../clients/python/src/labelflight/pyfunc_fingerprint.py"));
    assertEquals(worker, client, "copy python-workers/src/main/python/labelflight_worker/fingerprint.py to "
        + "clients/python/src/labelflight/pyfunc_fingerprint.py");
  }
}
