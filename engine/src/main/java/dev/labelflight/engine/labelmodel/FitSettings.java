package dev.labelflight.engine.labelmodel;

import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmatrix.LabelChunk;
import java.util.ArrayList;
import java.util.List;

/**
 * What a fit request sets for every model kind: a fixed class balance (null: learned by the EM models,
 * uniform for the others, as in Snorkel), the EM epoch cap and tolerance, and Snorkel's step count and
 * learning rate. {@link #fitter} makes the fitter of a kind; {@link #fitAll} runs several over shared passes.
 */
public record FitSettings(double[] classBalance, int maxEpochs, double tolerance, int snorkelEpochs,
    double snorkelLearningRate) {

  public static FitSettings defaults() {
    return new FitSettings(null, 100, 1e-6, 2_000, 0.01);
  }

  public FitSettings withClassBalance(double[] balance) {
    return new FitSettings(balance, maxEpochs, tolerance, snorkelEpochs, snorkelLearningRate);
  }

  public FitSettings withMaxEpochs(int epochs) {
    return new FitSettings(classBalance, epochs, tolerance, snorkelEpochs, snorkelLearningRate);
  }

  /** A fitter of {@code kind} for a matrix of {@code lfs} LFs and {@code classes} classes. */
  public ModelFitter fitter(ModelKind kind, int lfs, int classes) {
    return switch (kind) {
      case MAJORITY -> new MajorityVote.Fitter(lfs, classes);
      case WEIGHTED_MAJORITY -> new WeightedMajority.Fitter(lfs, classes, classBalance);
      case TRIPLET -> new TripletModel.Fitter(lfs, classes, classBalance);
      case GENERATIVE -> new GenerativeModel.Fitter(lfs, classes,
          new GenerativeModel.Options(classBalance, maxEpochs, tolerance));
      case DAWID_SKENE -> new DawidSkene.Fitter(lfs, classes, classBalance, maxEpochs, tolerance);
      case SNORKEL -> new SnorkelModel.Fitter(lfs, classes,
          new SnorkelModel.Options(classBalance, snorkelEpochs, snorkelLearningRate));
    };
  }

  /** Reads the whole label matrix once, in any order, calling the consumer per chunk (with row counts or null). */
  @FunctionalInterface
  public interface Passes {
    void pass(ChunkConsumer consumer) throws Exception;
  }

  /** One chunk of a pass. */
  @FunctionalInterface
  public interface ChunkConsumer {
    void accept(LabelChunk chunk, long[] counts);
  }

  /**
   * Feeds every fitter that still needs a pass, pass after pass, until none does; {@code also} (may be
   * null) sees every chunk of the first pass (to collect a dev set or a sample on the way). Returns the passes read.
   */
  public static int fitAll(List<ModelFitter> fitters, Passes passes, ChunkConsumer also) throws Exception {
    int read = 0;
    boolean first = true;
    while (true) {
      List<ModelFitter> active = new ArrayList<>();
      for (ModelFitter f : fitters) {
        if (f.needsPass()) {
          active.add(f);
        }
      }
      if (active.isEmpty() && !(first && also != null)) {
        return read;
      }
      boolean collect = first && also != null;
      passes.pass((chunk, counts) -> {
        for (ModelFitter f : active) {
          f.add(chunk, counts);
        }
        if (collect) {
          also.accept(chunk, counts);
        }
      });
      for (ModelFitter f : active) {
        f.endPass();
      }
      read++;
      first = false;
      if (read > 100_000) {
        throw LabelFlightException.internal("label model fit did not end", null);
      }
    }
  }
}
