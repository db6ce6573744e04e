package dev.labelflight.engine.labelmodel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmatrix.LabelChunk;
import dev.labelflight.engine.labelmatrix.LfClasses;

/**
 * The label model of a multi-label job: per class, an independent binary model (generative or majority
 * vote) over the LFs about that class (votes 1 = positive, 0 = negative). {@link #predictProba} gives
 * {@code probs[c][row]} = P(the row has class c), independently per class: rows need not sum to 1. A class
 * no LF is about gets its learned prior (0.5 for majority vote).
 */
public final class MultiLabelModel implements LabelModel {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final LfClasses lfClasses;
  private final LabelModel[] perClass;

  public MultiLabelModel(LfClasses lfClasses, LabelModel[] perClass) {
    if (perClass.length != lfClasses.classes()) {
      throw new IllegalArgumentException(perClass.length + " models for " + lfClasses.classes() + " classes");
    }
    this.lfClasses = lfClasses;
    this.perClass = perClass.clone();
  }

  /** Majority vote per class. */
  public static MultiLabelModel majority(LfClasses lfClasses) {
    LabelModel[] models = new LabelModel[lfClasses.classes()];
    for (int c = 0; c < models.length; c++) {
      models[c] = new MajorityVote(2, lfClasses.lfsOf(c).length);
    }
    return new MultiLabelModel(lfClasses, models);
  }

  /**
   * Fits one binary generative model per class, all in the same passes over the label chunks: every epoch,
   * {@link #add} every chunk, then {@link #endEpoch}, until {@link #done}. A class's fit stops on its own.
   */
  public static final class Fitter {
    private final LfClasses lfClasses;
    private final ModelFitter[] fitters;

    /** {@code positiveBalance}: a fixed P(class) per class (null = learn it). Generative models per class. */
    public Fitter(LfClasses lfClasses, double[] positiveBalance, int maxEpochs, double tolerance) {
      this(lfClasses, positiveBalance, FitSettings.defaults().withMaxEpochs(maxEpochs), ModelKind.GENERATIVE);
    }

    /** One binary model of {@code kind} per class, fitted with {@code settings} (its class balance is ignored). */
    public Fitter(LfClasses lfClasses, double[] positiveBalance, FitSettings settings, ModelKind kind) {
      this.lfClasses = lfClasses;
      fitters = new ModelFitter[lfClasses.classes()];
      for (int c = 0; c < fitters.length; c++) {
        double[] balance = positiveBalance == null ? null : new double[] {1 - positiveBalance[c], positiveBalance[c]};
        fitters[c] = settings.withClassBalance(balance).fitter(kind, lfClasses.lfsOf(c).length, 2);
      }
    }

    public void add(LabelChunk chunk) {
      if (chunk.lfs() != lfClasses.lfs()) {
        throw LabelFlightException.invalid("label chunk has " + chunk.lfs() + " LFs, expected " + lfClasses.lfs());
      }
      for (int c = 0; c < fitters.length; c++) {
        if (fitters[c].needsPass()) {
          fitters[c].add(chunk.select(lfClasses.lfsOf(c)), null);
        }
      }
    }

    public void endEpoch() {
      for (ModelFitter fitter : fitters) {
        if (fitter.needsPass()) {
          fitter.endPass();
        }
      }
    }

    public boolean done() {
      for (ModelFitter fitter : fitters) {
        if (fitter.needsPass()) {
          return false;
        }
      }
      return true;
    }

    public MultiLabelModel model() {
      LabelModel[] models = new LabelModel[fitters.length];
      for (int c = 0; c < models.length; c++) {
        models[c] = fitters[c].model();
      }
      return new MultiLabelModel(lfClasses, models);
    }

    /** Each class's fit report, by class index. */
    public java.util.List<FitReport> reports() {
      java.util.List<FitReport> out = new java.util.ArrayList<>();
      for (ModelFitter f : fitters) {
        out.add(f.report());
      }
      return out;
    }
  }

  /** The binary model of class {@code c} (class 1 = positive), over the LFs {@link LfClasses#lfsOf}(c). */
  public LabelModel model(int c) {
    return perClass[c];
  }

  public LfClasses lfClasses() {
    return lfClasses;
  }

  @Override
  public String kind() {
    return perClass.length == 0 ? MajorityVote.KIND : perClass[0].kind();
  }

  @Override
  public int classes() {
    return perClass.length;
  }

  @Override
  public int lfs() {
    return lfClasses.lfs();
  }

  /** P(positive) per class, each on its own (they need not sum to 1). */
  @Override
  public double[] classBalance() {
    double[] out = new double[perClass.length];
    for (int c = 0; c < out.length; c++) {
      out[c] = perClass[c].classBalance()[1];
    }
    return out;
  }

  /** Each LF's weight in the model of its class. */
  @Override
  public double[] weights() {
    double[] out = new double[lfClasses.lfs()];
    for (int c = 0; c < perClass.length; c++) {
      double[] w = perClass[c].weights();
      int[] lfs = lfClasses.lfsOf(c);
      for (int i = 0; i < lfs.length; i++) {
        out[lfs[i]] = w[i];
      }
    }
    return out;
  }

  @Override
  public void predictProba(LabelChunk chunk, double[][] probs) {
    if (chunk.lfs() != lfClasses.lfs()) {
      throw LabelFlightException.invalid("label chunk has " + chunk.lfs() + " LFs, the model was fitted on "
          + lfClasses.lfs());
    }
    int n = chunk.rows();
    double[][] binary = new double[2][n];
    for (int c = 0; c < perClass.length; c++) {
      perClass[c].predictProba(chunk.select(lfClasses.lfsOf(c)), binary);
      System.arraycopy(binary[1], 0, probs[c], 0, n);
    }
  }

  @Override
  public ObjectNode toJson() {
    ObjectNode root = JSON.createObjectNode().put("kind", kind()).put("multiLabel", true)
        .put("classes", perClass.length).put("lfs", lfClasses.lfs());
    ArrayNode classOf = root.putArray("lfClasses");
    for (int c : lfClasses.toArray()) {
      classOf.add(c);
    }
    ArrayNode models = root.putArray("models");
    for (LabelModel model : perClass) {
      models.add(model.toJson());
    }
    return root;
  }

  static MultiLabelModel fromJson(JsonNode node) {
    int classes = node.path("classes").asInt();
    int[] classOf = new int[node.path("lfClasses").size()];
    for (int j = 0; j < classOf.length; j++) {
      classOf[j] = node.path("lfClasses").get(j).asInt();
    }
    LabelModel[] models = new LabelModel[classes];
    for (int c = 0; c < classes; c++) {
      models[c] = LabelModels.fromJson(node.path("models").path(c));
    }
    return new MultiLabelModel(new LfClasses(classOf, classes), models);
  }
}
