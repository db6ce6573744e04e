package dev.labelflight.pyworkers;

import dev.labelflight.engine.lf.LfEvaluator;
import dev.labelflight.engine.lf.python.PythonFunction;
import java.util.List;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A job's Python LFs as one evaluator: each chunk goes to one worker of the (user, LF set) in one round trip,
 * and its label columns land in the LFs' slots. Immutable; the pool does the work.
 */
final class PythonLfEvaluator implements LfEvaluator {
  private final PythonWorkerPool pool;
  private final List<PythonFunction> functions;
  private final int classes;
  private final String key;
  private final int[] slots;

  PythonLfEvaluator(PythonWorkerPool pool, List<PythonFunction> functions, int classes, String key) {
    this.pool = pool;
    this.functions = functions;
    this.classes = classes;
    this.key = key;
    this.slots = functions.stream().mapToInt(PythonFunction::slot).toArray();
  }

  List<PythonFunction> functions() {
    return functions;
  }

  int classes() {
    return classes;
  }

  /** Identifies the LF set: fingerprints, modes, fault tolerance and classes. */
  String key() {
    return key;
  }

  @Override
  public int[] slots() {
    return slots;
  }

  @Override
  public void evaluate(VectorSchemaRoot chunk, byte[][] labels) {
    byte[][] columns = pool.label(this, chunk);
    for (int i = 0; i < slots.length; i++) {
      System.arraycopy(columns[i], 0, labels[slots[i]], 0, columns[i].length);
    }
  }
}
