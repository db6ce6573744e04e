package dev.labelflight.engine.labelmodel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmatrix.LabelChunk;
import java.util.Arrays;

/**
 * A generative label model fitted without gold by expectation maximization: the true class {@code y} is
 * latent with prior {@code pi}, and LFs vote independently given {@code y}. Per LF {@code j} and class
 * {@code c} it learns how often the LF, on rows of class {@code c}, votes {@code c} ({@code t}), abstains
 * ({@code a}) or votes some other class ({@code e = 1 - t - a}); a wrong vote goes to class {@code v} in
 * proportion to how often the LF votes {@code v} at all ({@code rho}). So one-sided LFs are modelled as well
 * as two-sided ones, two classes give exactly Dawid-Skene, and the parameters, the sufficient statistics
 * and the work per row grow linearly in LFs and classes: an EM step costs (votes per row) x classes per row,
 * abstains cost nothing. Started from majority vote, which anchors classes to their names.
 *
 * <p>Each EM epoch is one pass over the label chunks (or over {@link VotePatterns}); a pass keeps only the
 * expected counts ({@link Statistics}). A fitted model keeps the statistics of its rows, which is what
 * {@link Fitter#partial partial fits} on new rows or new LFs build on.
 *
 * <p>Longer than 400 lines because the model, its {@link Statistics}, its {@link Fitter} and their JSON form
 * are one unit: the fitter's E and M steps and the statistics' layout change together.
 */
public final class GenerativeModel implements LabelModel {
  static final String KIND = "generative";
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Dirichlet pseudo-count added to every count: keeps log-probabilities finite. */
  private static final double SMOOTHING = 0.01;
  /**
   * Pseudo-rows per class pulling an LF's per-class rates toward its rates over all classes: with many
   * classes and few rows each, per-class estimates alone would overfit; with many rows it fades out.
   */
  private static final double POOLING_ROWS = 10;

  private final int classes;
  private final int lfs;
  private final double[] balance;
  /** {@code [j * classes + c]}: P(LF j votes c | y = c), P(LF j abstains | y = c), LF j's share of votes for c. */
  private final double[] right;
  private final double[] abstain;
  private final double[] rho;
  private final int epochs;
  /** Expected counts over the rows fitted on (null for a model rebuilt from JSON). */
  private final Statistics statistics;
  private final Scores scores;

  private GenerativeModel(int classes, int lfs, double[] balance, double[] right, double[] abstain, double[] rho,
      int epochs, Statistics statistics) {
    this.classes = classes;
    this.lfs = lfs;
    this.balance = balance;
    this.right = right;
    this.abstain = abstain;
    this.rho = rho;
    this.epochs = epochs;
    this.statistics = statistics;
    this.scores = new Scores(classes, lfs, balance, right, abstain, rho);
  }

  /** Fit options: a fixed class balance (null = learn it), the EM step limit and the stopping tolerance. */
  public record Options(double[] classBalance, int maxEpochs, double tolerance) {
    public static Options defaults() {
      return new Options(null, 100, 1e-6);
    }
  }

  /** What a partial fit adds to its base model. */
  public enum PartialFit {
    /** New rows with the same LFs: the base model's statistics stand for its rows, only the new rows are read. */
    ROWS,
    /** The same rows with more LFs (the base model's LFs first): EM restarts from the base model's posterior. */
    LFS;

    /** {@code rows} or {@code lfs}. */
    public static PartialFit parse(String text) {
      return switch (text) {
        case "rows" -> ROWS;
        case "lfs" -> LFS;
        default -> throw LabelFlightException.invalid("'partialFit' must be \"rows\" or \"lfs\", not '" + text + "'");
      };
    }
  }

  /**
   * Expected counts of one EM pass: rows, the posterior mass per class, and per LF and class the mass of
   * rows it votes on, of rows where it votes that class, and how many votes it casts for each class.
   */
  public record Statistics(double rows, double[] mass, double[] voted, double[] agreed, double[] votes) {
    static Statistics empty(int lfs, int classes) {
      return new Statistics(0, new double[classes], new double[lfs * classes], new double[lfs * classes],
          new double[lfs * classes]);
    }
  }

  /** Fits the model to the vote patterns of a whole label matrix (one EM epoch = one pass over the patterns). */
  public static GenerativeModel fit(VotePatterns patterns, int classes, Options options) {
    Fitter fitter = new Fitter(patterns.lfs(), classes, options);
    LabelChunk distinct = patterns.asChunk();
    long[] counts = patterns.counts();
    while (!fitter.done()) {
      fitter.add(distinct, counts);
      fitter.endEpoch();
    }
    return fitter.model();
  }

  /**
   * A fit in progress: every epoch, feed every row once (chunk by chunk, in any order) with {@link #add},
   * then call {@link #endEpoch}, until {@link #done}. Memory: a few numbers per LF and class, plus one
   * chunk's votes. A fresh fit takes majority vote as the first posterior; a partial fit its base model's.
   */
  public static final class Fitter implements ModelFitter {
    private final int classes;
    private final int lfs;
    private final Options options;
    /** Counts that stand for rows not read again (the base model's rows of a ROWS partial fit), or null. */
    private final Statistics frozen;
    private final RowVotes rowVotes = new RowVotes();
    private final double[] score;
    private final int[] tally;
    private Scores current;
    private double[] pi;
    private double[] right;
    private double[] abstain;
    private double[] rho;
    private Statistics stats;
    private Statistics last;
    private double logLikelihood;
    private double previous = Double.NaN;
    private int epochs;
    private boolean done;
    private boolean converged;
    private final java.util.List<Double> loss = new java.util.ArrayList<>();

    public Fitter(int lfs, int classes, Options options) {
      this(lfs, classes, options, null, null);
    }

    private Fitter(int lfs, int classes, Options options, Scores start, Statistics frozen) {
      if (classes < 2) {
        throw LabelFlightException.invalid("a label model needs at least 2 classes, not " + classes);
      }
      if (options.classBalance() != null) {
        validateBalance(options.classBalance(), classes);
      }
      this.classes = classes;
      this.lfs = lfs;
      this.options = options;
      this.current = start;
      this.frozen = frozen;
      score = new double[classes];
      tally = new int[classes];
      stats = Statistics.empty(lfs, classes);
    }

    /**
     * A fit that builds on {@code base}: {@link PartialFit#ROWS} reads only new rows (over the same LFs),
     * {@link PartialFit#LFS} reads the same rows with {@code lfs} LFs, the base model's first.
     */
    public static Fitter partial(GenerativeModel base, PartialFit kind, int lfs, Options options) {
      if (base.statistics == null) {
        throw LabelFlightException.invalid("the base model has no statistics to build on; fit it again");
      }
      int k = base.classes;
      if (kind == PartialFit.ROWS) {
        if (lfs != base.lfs) {
          throw LabelFlightException.invalid("a partial fit on new rows needs the base model's " + base.lfs
              + " LFs, not " + lfs);
        }
        return new Fitter(lfs, k, options, base.scores, base.statistics);
      }
      if (lfs < base.lfs) {
        throw LabelFlightException.invalid("a partial fit on new LFs needs at least the base model's " + base.lfs
            + " LFs, not " + lfs);
      }
      // New LFs start uninformative (they add nothing to the first posterior): the base model decides it.
      double[] t = new double[lfs * k];
      double[] a = new double[lfs * k];
      double[] r = new double[lfs * k];
      Arrays.fill(t, 1.0 / 3);
      Arrays.fill(a, 1.0 / 3);
      Arrays.fill(r, 1.0 / k);
      System.arraycopy(base.right, 0, t, 0, base.lfs * k);
      System.arraycopy(base.abstain, 0, a, 0, base.lfs * k);
      System.arraycopy(base.rho, 0, r, 0, base.lfs * k);
      Scores start = new Scores(k, lfs, base.balance, t, a, r);
      for (int j = base.lfs; j < lfs; j++) {
        Arrays.fill(start.vote, j * k, (j + 1) * k, 0.0);
        Arrays.fill(start.agree, j * k, (j + 1) * k, 0.0);
      }
      start.refreshBase(lfs);
      return new Fitter(lfs, k, options, start, null);
    }

    /** Adds rows to this epoch; {@code counts} gives each row's multiplicity (null: 1 each). */
    public void add(LabelChunk chunk, long[] counts) {
      if (chunk.lfs() != lfs) {
        throw LabelFlightException.invalid("label chunk has " + chunk.lfs() + " LFs, expected " + lfs);
      }
      RowVotes rv = rowVotes;
      rv.load(chunk, classes);
      int k = classes;
      double[] q = score;
      double[] mass = stats.mass();
      double[] voted = stats.voted();
      double[] agreed = stats.agreed();
      double[] votes = stats.votes();
      double rowsAdded = 0;
      for (int r = 0; r < rv.rows; r++) {
        double weight = counts == null ? 1 : counts[r];
        int from = rv.start[r];
        int to = rv.start[r + 1];
        if (current == null) {
          majorityVote(rv, from, to, q);
        } else {
          logLikelihood += weight * current.posterior(rv, from, to, q);
        }
        for (int c = 0; c < k; c++) {
          mass[c] += weight * q[c];
        }
        for (int i = from; i < to; i++) {
          int off = rv.lf[i] * k;
          int v = rv.vote[i];
          for (int c = 0; c < k; c++) {
            voted[off + c] += weight * q[c];
          }
          agreed[off + v] += weight * q[v];
          votes[off + v] += weight;
        }
        rowsAdded += weight;
      }
      stats = new Statistics(stats.rows() + rowsAdded, mass, voted, agreed, votes);
    }

    /** q = majority vote of the row: even over the classes with the most votes (all classes when none). */
    private void majorityVote(RowVotes rv, int from, int to, double[] q) {
      Arrays.fill(q, 0.0);
      if (from == to) {
        Arrays.fill(q, 1.0 / classes);
        return;
      }
      int max = 0;
      for (int i = from; i < to; i++) {
        max = Math.max(max, ++tally[rv.vote[i]]);
      }
      int ties = 0;
      for (int i = from; i < to; i++) {
        int v = rv.vote[i];
        if (tally[v] == max && q[v] == 0) {
          q[v] = 1;
          ties++;
        }
      }
      for (int i = from; i < to; i++) {
        int v = rv.vote[i];
        tally[v] = 0;
        if (q[v] == 1) {
          q[v] = 1.0 / ties;
        }
      }
    }

    /** Ends an epoch: new parameters from this epoch's counts (M-step); decides whether to stop. */
    public void endEpoch() {
      Statistics total = frozen == null ? stats : sum(stats, frozen);
      int k = classes;
      double rows = 0;
      for (double x : total.mass()) {
        rows += x;
      }
      double[] fixed = options.classBalance();
      pi = new double[k];
      right = new double[lfs * k];
      abstain = new double[lfs * k];
      rho = new double[lfs * k];
      for (int c = 0; c < k; c++) {
        pi[c] = fixed != null ? fixed[c] : (total.mass()[c] + SMOOTHING) / (rows + k * SMOOTHING);
      }
      for (int j = 0; j < lfs; j++) {
        double cast = 0;
        double votedAll = 0;
        double agreedAll = 0;
        for (int c = 0; c < k; c++) {
          cast += total.votes()[j * k + c];
          votedAll += total.voted()[j * k + c];
          agreedAll += total.agreed()[j * k + c];
        }
        double pooledRight = (agreedAll + SMOOTHING) / (rows + 3 * SMOOTHING);
        double pooledAbstain = (rows - votedAll + SMOOTHING) / (rows + 3 * SMOOTHING);
        for (int c = 0; c < k; c++) {
          int i = j * k + c;
          double n = total.mass()[c];
          double voted = Math.min(n, total.voted()[i]);
          double agreed = Math.min(voted, total.agreed()[i]);
          double denominator = n + POOLING_ROWS + 3 * SMOOTHING;
          right[i] = (agreed + POOLING_ROWS * pooledRight + SMOOTHING) / denominator;
          abstain[i] = (n - voted + POOLING_ROWS * pooledAbstain + SMOOTHING) / denominator;
          rho[i] = (total.votes()[i] + SMOOTHING) / (cast + k * SMOOTHING);
        }
      }
      current = new Scores(k, lfs, pi, right, abstain, rho);
      epochs++;
      double perRow = logLikelihood / Math.max(1, stats.rows());
      // Epoch 1 of a fresh fit has no likelihood (majority-vote start); from then on consecutive values compare.
      boolean comparable = !Double.isNaN(previous) && logLikelihood != 0;
      if (logLikelihood != 0) {
        loss.add(-perRow);
      }
      if (comparable && Math.abs(perRow - previous) < options.tolerance()) {
        converged = true;
        done = true;
      }
      if (epochs >= options.maxEpochs()) {
        done = true;
      }
      previous = logLikelihood != 0 ? perRow : Double.NaN;
      logLikelihood = 0;
      last = stats;
      stats = Statistics.empty(lfs, k);
    }

    private static Statistics sum(Statistics a, Statistics b) {
      return new Statistics(a.rows() + b.rows(), add(a.mass(), b.mass()), add(a.voted(), b.voted()),
          add(a.agreed(), b.agreed()), add(a.votes(), b.votes()));
    }

    private static double[] add(double[] a, double[] b) {
      double[] out = a.clone();
      for (int i = 0; i < b.length; i++) {
        out[i] += b[i];
      }
      return out;
    }

    public boolean done() {
      return done;
    }

    public int epochs() {
      return epochs;
    }

    @Override
    public ModelKind kind() {
      return ModelKind.GENERATIVE;
    }

    @Override
    public boolean needsPass() {
      return !done;
    }

    @Override
    public void endPass() {
      endEpoch();
    }

    @Override
    public FitReport report() {
      return new FitReport(ModelKind.GENERATIVE, epochs, converged, "negative log-likelihood per row",
          java.util.List.copyOf(loss), epochs, converged ? null
              : "stopped at the cap of " + options.maxEpochs() + " EM epochs before the loss settled");
    }

    /** The model as of the last finished epoch, with the statistics of all its rows (the frozen ones too). */
    public GenerativeModel model() {
      if (epochs == 0) {
        throw new IllegalStateException("no epoch finished yet");
      }
      Statistics all = frozen == null ? last : sum(last, frozen);
      return new GenerativeModel(classes, lfs, pi.clone(), right.clone(), abstain.clone(), rho.clone(), epochs, all);
    }
  }

  /** Log-scores per class of a row's votes, precomputed so a vote costs one pass over the classes. */
  private static final class Scores {
    private final int classes;
    /** log pi_c + sum over all LFs of log P(abstain | c): the score of a row nobody votes on. */
    private final double[] base;
    /** {@code [j * k + c]}: what LF j voting (anything) adds to class c, instead of abstaining. */
    final double[] vote;
    /** {@code [j * k + v]}: what LF j voting v adds to class v on top of {@link #vote}. */
    final double[] agree;
    /** {@code [j * k + v]}: log rho, the same for every class (only the likelihood needs it). */
    private final double[] logRho;
    private final double[] logAbstain;
    private final double[] logPrior;

    Scores(int k, int lfs, double[] pi, double[] right, double[] abstain, double[] rho) {
      classes = k;
      base = new double[k];
      vote = new double[lfs * k];
      agree = new double[lfs * k];
      logRho = new double[lfs * k];
      logAbstain = new double[lfs * k];
      logPrior = new double[k];
      for (int c = 0; c < k; c++) {
        logPrior[c] = Math.log(pi[c]);
      }
      for (int i = 0; i < lfs * k; i++) {
        double wrong = Math.max(1e-300, 1 - right[i] - abstain[i]);
        double logWrong = Math.log(wrong) - Math.log1p(-Math.min(rho[i], 1 - 1e-12));
        logAbstain[i] = Math.log(abstain[i]);
        logRho[i] = Math.log(rho[i]);
        vote[i] = logWrong - logAbstain[i];
        agree[i] = Math.log(right[i]) - logWrong - logRho[i];
      }
      refreshBase(lfs);
    }

    /** Recomputes {@link #base}, leaving out LFs whose vote scores were zeroed (they count as abstaining always). */
    void refreshBase(int lfs) {
      int k = classes;
      System.arraycopy(logPrior, 0, base, 0, k);
      for (int j = 0; j < lfs; j++) {
        boolean silent = true;
        for (int c = 0; c < k && silent; c++) {
          silent = vote[j * k + c] == 0 && agree[j * k + c] == 0;
        }
        if (!silent) {
          for (int c = 0; c < k; c++) {
            base[c] += logAbstain[j * k + c];
          }
        }
      }
    }

    /** Fills {@code q} with P(class | votes of the row); returns the row's log-likelihood. */
    double posterior(RowVotes rv, int from, int to, double[] q) {
      int k = classes;
      System.arraycopy(base, 0, q, 0, k);
      double constant = 0;
      for (int i = from; i < to; i++) {
        int off = rv.lf[i] * k;
        int v = rv.vote[i];
        for (int c = 0; c < k; c++) {
          q[c] += vote[off + c];
        }
        q[v] += agree[off + v];
        constant += logRho[off + v];
      }
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
      return max + Math.log(sum) + constant;
    }
  }

  private static void validateBalance(double[] balance, int classes) {
    if (balance.length != classes) {
      throw LabelFlightException.invalid("'classBalance' has " + balance.length + " entries; there are " + classes + " classes");
    }
    double sum = 0;
    for (double b : balance) {
      if (!(b > 0) || b > 1) {
        throw LabelFlightException.invalid("'classBalance' entries must be in (0, 1]");
      }
      sum += b;
    }
    if (Math.abs(sum - 1) > 1e-6) {
      throw LabelFlightException.invalid("'classBalance' must sum to 1, not " + sum);
    }
  }

  @Override
  public String kind() {
    return KIND;
  }

  @Override
  public int classes() {
    return classes;
  }

  @Override
  public int lfs() {
    return lfs;
  }

  /**
   * The same predictions in the {@link LogLinearModel} form (what is stored and exported): the score of a
   * row nobody votes on is the bias, each vote adds its LF's vote and agree terms.
   */
  public LogLinearModel asLogLinear() {
    return new LogLinearModel(ModelKind.GENERATIVE, classes, lfs, balance.clone(), weights(), scores.base.clone(),
        scores.vote.clone(), scores.agree.clone(), null);
  }

  /** EM steps taken by the fit. */
  public int epochs() {
    return epochs;
  }

  /** The expected counts over every row this model was fitted on (null when rebuilt from JSON without them). */
  public Statistics statistics() {
    return statistics;
  }

  @Override
  public double[] classBalance() {
    return balance.clone();
  }

  /** P(vote = class | class, LF votes), averaged over the class prior: each LF's accuracy when it votes. */
  @Override
  public double[] weights() {
    double[] acc = new double[lfs];
    for (int j = 0; j < lfs; j++) {
      double agreeing = 0;
      double voting = 0;
      for (int c = 0; c < classes; c++) {
        agreeing += balance[c] * right[j * classes + c];
        voting += balance[c] * (1 - abstain[j * classes + c]);
      }
      acc[j] = voting > 0 ? agreeing / voting : 0;
    }
    return acc;
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
      scores.posterior(rv, rv.start[r], rv.start[r + 1], q);
      for (int c = 0; c < classes; c++) {
        probs[c][r] = q[c];
      }
    }
  }

  @Override
  public ObjectNode toJson() {
    ObjectNode root = JSON.createObjectNode().put("kind", KIND).put("classes", classes).put("lfs", lfs)
        .put("epochs", epochs);
    put(root.putArray("classBalance"), balance);
    put(root.putArray("right"), right);
    put(root.putArray("abstain"), abstain);
    put(root.putArray("rho"), rho);
    if (statistics != null) {
      // What partial fits build on: the expected counts of the rows fitted on.
      ObjectNode stats = root.putObject("statistics").put("rows", statistics.rows());
      put(stats.putArray("mass"), statistics.mass());
      put(stats.putArray("voted"), statistics.voted());
      put(stats.putArray("agreed"), statistics.agreed());
      put(stats.putArray("votes"), statistics.votes());
    }
    return root;
  }

  private static void put(ArrayNode array, double[] values) {
    for (double x : values) {
      array.add(x);
    }
  }

  static GenerativeModel fromJson(JsonNode node) {
    int classes = node.path("classes").asInt();
    int lfs = node.path("lfs").asInt();
    JsonNode s = node.path("statistics");
    Statistics statistics = s.isObject() ? new Statistics(s.path("rows").asDouble(), doubles(s.path("mass"), classes),
        doubles(s.path("voted"), lfs * classes), doubles(s.path("agreed"), lfs * classes),
        doubles(s.path("votes"), lfs * classes)) : null;
    return new GenerativeModel(classes, lfs, doubles(node.path("classBalance"), classes),
        doubles(node.path("right"), lfs * classes), doubles(node.path("abstain"), lfs * classes),
        doubles(node.path("rho"), lfs * classes), node.path("epochs").asInt(), statistics);
  }

  private static double[] doubles(JsonNode array, int size) {
    if (array.size() != size) {
      throw LabelFlightException.invalid("label model JSON: expected " + size + " numbers, found " + array.size());
    }
    double[] out = new double[size];
    for (int i = 0; i < size; i++) {
      out[i] = array.get(i).asDouble();
    }
    return out;
  }
}
