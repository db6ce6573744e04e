package dev.labelflight.engine.labelmodel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmatrix.LabelChunk;

/**
 * The form every learned label model predicts with: for a row, the score of class {@code c} is
 * {@code bias[c] + sum over the LFs j that vote v of (vote[j,c] + (c == v ? agree[j,v] : 0) + full[j,v,c])},
 * and P(class | row) is the softmax of the scores. Abstaining LFs add nothing: a model whose abstain rates
 * depend on the class folds them into {@code bias}. {@code vote}/{@code agree} are {@code [j * k + c]}
 * (O(LFs x classes)); {@code full} is {@code [(j * k + v) * k + c]} (O(LFs x classes^2), for models with a
 * full confusion matrix per LF) — each may be null when the model has no such term.
 *
 * <p>Work per row follows the votes, not the LFs. The order of additions is fixed (LFs in column order,
 * then the softmax over classes in order), so the Python client's offline {@code predict} reproduces the
 * same predictions from {@link #toJson()}. Immutable and thread-safe.
 */
public final class LogLinearModel implements LabelModel {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The largest {@code full} term accepted (doubles): 2,000 LFs x 50 classes^2. */
  public static final long MAX_FULL_TERMS = 5_000_000L;

  private final ModelKind kind;
  private final int classes;
  private final int lfs;
  private final double[] balance;
  private final double[] accuracy;
  private final double[] bias;
  private final double[] vote;
  private final double[] agree;
  private final double[] full;

  /**
   * @param balance the class prior the model uses (reported; already inside {@code bias})
   * @param accuracy one number per LF: its estimated accuracy when it votes (reported as weights)
   */
  public LogLinearModel(ModelKind kind, int classes, int lfs, double[] balance, double[] accuracy, double[] bias,
      double[] vote, double[] agree, double[] full) {
    if (classes < 2) {
      throw LabelFlightException.invalid("a label model needs at least 2 classes, not " + classes);
    }
    check(balance, classes, "balance");
    check(accuracy, lfs, "accuracy");
    check(bias, classes, "bias");
    if (vote != null) {
      check(vote, (long) lfs * classes, "vote");
    }
    if (agree != null) {
      check(agree, (long) lfs * classes, "agree");
    }
    if (full != null) {
      check(full, (long) lfs * classes * classes, "full");
    }
    this.kind = kind;
    this.classes = classes;
    this.lfs = lfs;
    this.balance = balance;
    this.accuracy = accuracy;
    this.bias = bias;
    this.vote = vote;
    this.agree = agree;
    this.full = full;
  }

  private static void check(double[] values, long size, String what) {
    if (values == null || values.length != size) {
      throw LabelFlightException.invalid("label model '" + what + "' must have " + size + " numbers, has "
          + (values == null ? "none" : values.length));
    }
    for (double v : values) {
      if (Double.isNaN(v) || v == Double.POSITIVE_INFINITY) {
        throw LabelFlightException.invalid("label model '" + what + "' holds " + v);
      }
    }
  }

  /** Whether a model with {@code full} terms of this size may be built (memory bound). */
  public static boolean fullFits(int lfs, int classes) {
    return (long) lfs * classes * classes <= MAX_FULL_TERMS;
  }

  @Override
  public String kind() {
    return kind.id();
  }

  public ModelKind modelKind() {
    return kind;
  }

  @Override
  public int classes() {
    return classes;
  }

  @Override
  public int lfs() {
    return lfs;
  }

  @Override
  public double[] classBalance() {
    return balance.clone();
  }

  @Override
  public double[] weights() {
    return accuracy.clone();
  }

  @Override
  public void predictProba(LabelChunk chunk, double[][] probs) {
    if (chunk.lfs() != lfs) {
      throw LabelFlightException.invalid("label chunk has " + chunk.lfs() + " LFs, the model was fitted on " + lfs);
    }
    RowVotes rv = new RowVotes();
    rv.load(chunk, classes);
    double[] q = new double[classes];
    for (int r = 0; r < rv.rows; r++) {
      posterior(rv, rv.start[r], rv.start[r + 1], q);
      for (int c = 0; c < classes; c++) {
        probs[c][r] = q[c];
      }
    }
  }

  /** Fills {@code q} with P(class | the votes {@code from..to-1} of {@code rv}); returns the log normalizer. */
  double posterior(RowVotes rv, int from, int to, double[] q) {
    int k = classes;
    System.arraycopy(bias, 0, q, 0, k);
    for (int i = from; i < to; i++) {
      int j = rv.lf[i];
      int v = rv.vote[i];
      if (vote != null) {
        int off = j * k;
        for (int c = 0; c < k; c++) {
          q[c] += vote[off + c];
        }
      }
      if (agree != null) {
        q[v] += agree[j * k + v];
      }
      if (full != null) {
        int off = (j * k + v) * k;
        for (int c = 0; c < k; c++) {
          q[c] += full[off + c];
        }
      }
    }
    return softmax(q, k);
  }

  /** In place; returns log(sum(exp(q))). */
  static double softmax(double[] q, int k) {
    double max = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < k; c++) {
      max = Math.max(max, q[c]);
    }
    double sum = 0;
    for (int c = 0; c < k; c++) {
      double e = Math.exp(q[c] - max);
      q[c] = e;
      sum += e;
    }
    double inverse = 1 / sum;
    for (int c = 0; c < k; c++) {
      q[c] *= inverse;
    }
    return max + Math.log(sum);
  }

  @Override
  public ObjectNode toJson() {
    ObjectNode root = JSON.createObjectNode().put("kind", kind.id()).put("form", "loglinear")
        .put("classes", classes).put("lfs", lfs);
    put(root.putArray("classBalance"), balance);
    put(root.putArray("accuracy"), accuracy);
    put(root.putArray("bias"), bias);
    if (vote != null) {
      put(root.putArray("vote"), vote);
    }
    if (agree != null) {
      put(root.putArray("agree"), agree);
    }
    if (full != null) {
      put(root.putArray("full"), full);
    }
    return root;
  }

  private static void put(ArrayNode array, double[] values) {
    for (double x : values) {
      array.add(x);
    }
  }

  static LogLinearModel fromJson(JsonNode node) {
    ModelKind kind = ModelKind.parse(node.path("kind").asText());
    int classes = node.path("classes").asInt();
    int lfs = node.path("lfs").asInt();
    if (classes < 2 || lfs < 0) {
      throw LabelFlightException.invalid("label model JSON: bad 'classes' or 'lfs'");
    }
    return new LogLinearModel(kind, classes, lfs, doubles(node, "classBalance", classes),
        doubles(node, "accuracy", lfs), doubles(node, "bias", classes),
        node.has("vote") ? doubles(node, "vote", (long) lfs * classes) : null,
        node.has("agree") ? doubles(node, "agree", (long) lfs * classes) : null,
        node.has("full") ? doubles(node, "full", (long) lfs * classes * classes) : null);
  }

  private static double[] doubles(JsonNode node, String field, long size) {
    JsonNode array = node.path(field);
    if (!array.isArray() || array.size() != size) {
      throw LabelFlightException.invalid("label model JSON: '" + field + "' must hold " + size + " numbers");
    }
    double[] out = new double[(int) size];
    for (int i = 0; i < size; i++) {
      JsonNode x = array.get(i);
      if (!x.isNumber()) {
        throw LabelFlightException.invalid("label model JSON: '" + field + "' holds a non-number");
      }
      out[i] = x.asDouble();
    }
    return out;
  }
}
