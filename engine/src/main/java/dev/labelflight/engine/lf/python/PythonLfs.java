package dev.labelflight.engine.lf.python;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.lf.LabelSpace;
import dev.labelflight.engine.lf.LfEvaluator;
import dev.labelflight.engine.lf.LfKind;
import dev.labelflight.engine.lf.LfSpec;
import java.util.List;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Runs {@code python} LFs: given a job's Python functions, an evaluator that labels chunks with them (all of a
 * job's Python LFs in one evaluator, so that a chunk makes one round trip to one worker process). Implemented
 * by the node's worker pool ({@code dev.labelflight.pyworkers.PythonWorkerPool}).
 */
public interface PythonLfs {

  /** An evaluator for {@code functions} (in job order; each knows its slot). Cheap: processes start on use. */
  LfEvaluator compile(List<PythonFunction> functions, LabelSpace labels);

  /**
   * Whether {@code user} (null: no authentication) may run Python LFs on this node: a job carrying one is
   * refused when it is submitted otherwise, and a chunk is never handed to a worker for them.
   */
  boolean allows(String user);

  /**
   * Refuses (INVALID_ARGUMENT naming the first Python LF) a job with Python LFs that {@code user} may not run
   * on a node whose pool is {@code python} (null: Python LFs are off on the node).
   */
  static void checkAllowed(PythonLfs python, String user, List<LfSpec> specs) {
    for (LfSpec spec : specs) {
      if (spec.kind() != LfKind.PYTHON) {
        continue;
      }
      if (python == null) {
        throw spec.invalid("Python LFs are not enabled on this node (python.enabled in the server configuration)");
      }
      if (!python.allows(user)) {
        throw spec.invalid("Python LFs are not enabled for user '" + (user == null ? "anonymous" : user)
            + "' (an administrator grants them: the user's \"permissions\": [\"python\"] in auth.users)");
      }
      return;
    }
  }

  /** Where no pool runs (a compiler made without one, e.g. to check a request): evaluation fails clearly. */
  static LfEvaluator unavailable(List<PythonFunction> functions) {
    int[] slots = functions.stream().mapToInt(PythonFunction::slot).toArray();
    return new LfEvaluator() {
      @Override
      public int[] slots() {
        return slots;
      }

      @Override
      public void evaluate(VectorSchemaRoot chunk, byte[][] labels) {
        throw LabelFlightException.invalid("LF '" + functions.get(0).name()
            + "' (python): Python LFs are not enabled on this node (python.enabled in the server configuration)")
            .withDetail(LabelFlightException.Detail.LF, functions.get(0).name());
      }
    };
  }
}
