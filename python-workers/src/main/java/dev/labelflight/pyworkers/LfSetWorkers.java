package dev.labelflight.pyworkers;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.lf.python.PythonFunction;
import dev.labelflight.engine.memory.Reservation;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.List;

/**
 * The workers of one (user, LF set): the template that holds the set loaded (started on first use, with its
 * memory reservation measured after loading), the idle workers forked from it, and how many it has in all.
 * Guarded by the pool's monitor except the template fields (this set's monitor) and {@link #loading}.
 */
final class LfSetWorkers {
  final String key;
  final String user;
  final List<PythonFunction> functions;
  final int classes;
  /** Idle workers, most recently used last. */
  final ArrayDeque<WorkerProcess> idle = new ArrayDeque<>();
  /** Alive workers (idle and busy). */
  int workers;
  long lastUsedNanos = System.nanoTime();
  /** Held while the template starts and loads (not the set's monitor, so that reading its pid never waits). */
  final Object loading = new Object();
  private TemplateProcess template;
  private Reservation templateReservation;

  LfSetWorkers(String key, String user, List<PythonFunction> functions, int classes) {
    this.key = key;
    this.user = user;
    this.functions = functions;
    this.classes = classes;
  }

  /** Bytes the set's LFs declared per worker ({@code memoryMiB}), 0 if none did. */
  long declaredBytes() {
    return functions.stream().mapToLong(f -> (long) f.memoryMiB() << 20).max().orElse(0);
  }

  /** The running template, or null. */
  synchronized TemplateProcess runningTemplate() {
    return template != null && template.isAlive() ? template : null;
  }

  /** Sets the template (started and loaded by the pool) and the reservation it holds. */
  synchronized void template(TemplateProcess t, Reservation r) {
    this.template = t;
    this.templateReservation = r;
  }

  /** The load request: the functions' specs in the header, their pickles one after the other in the body. */
  Frame loadRequest(Path warm, long limitBytes) {
    ObjectNode h = Frame.newHeader();
    h.put("op", "load");
    h.put("classes", classes);
    h.put("limitMiB", limitBytes >> 20);
    if (warm != null) {
      h.put("warm", warm.toString());
    }
    ArrayNode lfs = h.putArray("lfs");
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (PythonFunction f : functions) {
      ObjectNode o = lfs.addObject();
      o.put("name", f.name());
      o.put("fingerprint", f.fingerprint());
      o.put("python", f.python());
      o.putPOJO("imports", f.imports());
      o.put("mode", f.batch() ? "batch" : "row");
      o.put("faultTolerant", f.faultTolerant());
      o.put("size", f.pickle().length);
      body.writeBytes(f.pickle());
    }
    return new Frame(h, body.toByteArray());
  }

  /** Ends the template (its workers die with it) and frees its memory. */
  synchronized void closeTemplate() {
    if (template != null) {
      template.close();
      template = null;
    }
    if (templateReservation != null) {
      templateReservation.close();
      templateReservation = null;
    }
  }

  /** Pids of the template (or -1). */
  synchronized long templatePid() {
    return template != null ? template.pid() : -1;
  }
}
