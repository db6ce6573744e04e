package dev.labelflight.engine.lf.regex;

import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A regex LF's pattern compiled for boolean matching over UTF-8 rows with LabelFlight's meaning of RE2
 * syntax ({@link RegexParser.Syntax#UNICODE}: Python's Unicode {@code \w \d \s \b}, full case folding).
 * Two engines over the same code point program, both linear in the text:
 * <ul>
 *   <li>a lazy DFA ({@link CodePointDfa}), the fast one: it reads an ASCII byte with one table load and
 *   decodes longer sequences, so it is exact on every row, Unicode classes and {@code \b} included, and
 *   skips from its idle states to the next byte that can start a match;</li>
 *   <li>the NFA simulation ({@link UnicodeNfa}) over code points, for the rest of a chunk once the DFA's
 *   cache thrashed on a row. Its work counts against the LF's {@link StepBudget}.</li>
 * </ul>
 * Before anything is built, the pattern's program size is known from its tree: {@link #compile} refuses
 * patterns above a limit ({@link TooLargeException}). Thread-safe: each evaluating thread borrows the
 * engines' state for a chunk through {@link #scan}.
 */
public final class UnicodeRegex {
  /** Cache memory per DFA: about this many table entries (4 bytes each). */
  private static final int TABLE_ENTRIES = 1 << 20;
  private static final int MAX_STATES = 10_000;

  private final long programSize;
  private final CodePointProgram program;
  /** Null when no DFA serves (tests that want the NFA alone). */
  private final CodePointClasses classes;
  private final int maxDfaStates;
  private final boolean fullMatch;
  private final ConcurrentLinkedQueue<CodePointDfa> dfas = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<UnicodeNfa> nfas = new ConcurrentLinkedQueue<>();

  private UnicodeRegex(long programSize, CodePointProgram program, CodePointClasses classes, int maxDfaStates,
      boolean fullMatch) {
    this.programSize = programSize;
    this.program = program;
    this.classes = classes;
    this.maxDfaStates = maxDfaStates > 0 ? maxDfaStates
        : classes == null ? 0 : Math.max(16, Math.min(MAX_STATES, TABLE_ENTRIES / (classes.count + 1)));
    this.fullMatch = fullMatch;
  }

  /** A pattern whose program has more instructions than allowed. */
  public static final class TooLargeException extends Exception {
    private final long size;

    TooLargeException(long size) {
      super("program of " + size + " instructions", null, false, false);
      this.size = size;
    }

    /** The pattern's program size (saturated at Long.MAX_VALUE). */
    public long size() {
      return size;
    }
  }

  /**
   * The program size of any RE2 pattern RE2J accepts, from its tree (nothing expanded), or empty if the
   * parser cannot read it.
   */
  public static Optional<Long> programSize(String pattern, boolean caseInsensitive, boolean dotAll, boolean multiline) {
    try {
      return Optional.of(RegexNode.programSize(
          RegexParser.parse(pattern, RegexParser.Syntax.UNICODE, caseInsensitive, dotAll, multiline)));
    } catch (UnsupportedRegexException | StackOverflowError e) {
      return Optional.empty();
    }
  }

  /**
   * Compiles an RE2J-valid pattern: {@link TooLargeException} if its program would have more than
   * {@code maxProgramSize} instructions; empty if it uses syntax the parser does not read.
   */
  public static Optional<UnicodeRegex> compile(String pattern, boolean caseInsensitive, boolean dotAll,
      boolean multiline, boolean fullMatch, int maxProgramSize) throws TooLargeException {
    return compile(pattern, caseInsensitive, dotAll, multiline, fullMatch, maxProgramSize, 0);
  }

  /**
   * As {@link #compile(String, boolean, boolean, boolean, boolean, int)} with at most {@code maxDfaStates}
   * states per DFA cache (0: the default; negative: no DFA, the NFA answers every row), for tests.
   */
  public static Optional<UnicodeRegex> compile(String pattern, boolean caseInsensitive, boolean dotAll,
      boolean multiline, boolean fullMatch, int maxProgramSize, int maxDfaStates) throws TooLargeException {
    RegexNode node;
    try {
      node = RegexParser.parse(pattern, RegexParser.Syntax.UNICODE, caseInsensitive, dotAll, multiline);
    } catch (UnsupportedRegexException | StackOverflowError e) {
      return Optional.empty();
    }
    long size = RegexNode.programSize(node);
    if (size > maxProgramSize) {
      throw new TooLargeException(size);
    }
    CodePointProgram program;
    try {
      program = CodePointProgram.compile(node, fullMatch, maxProgramSize + 2);
    } catch (UnsupportedRegexException e) {
      throw new TooLargeException(size);
    }
    CodePointClasses classes = null;
    if (maxDfaStates >= 0) {
      try {
        classes = CodePointClasses.of(program);
      } catch (UnsupportedRegexException e) {
        classes = null; // more distinct classes than a table column can name: the NFA serves
      }
    }
    return Optional.of(new UnicodeRegex(size, program, classes, maxDfaStates, fullMatch));
  }

  /** Instructions of the pattern's code point program. */
  public long programSize() {
    return programSize;
  }

  /** Whether a DFA serves (some) rows. */
  public boolean hasDfa() {
    return classes != null;
  }

  /** The engines' state for one chunk on this thread; close it when the chunk is done. */
  public Scan scan() {
    return new Scan();
  }

  /** One chunk's matching on one thread: a borrowed DFA cache until it thrashes, and an NFA. */
  public final class Scan implements AutoCloseable {
    private CodePointDfa lazy;
    private UnicodeNfa nfa;

    private Scan() {
      if (classes != null) {
        lazy = dfas.poll();
        if (lazy == null) {
          lazy = new CodePointDfa(program, classes, fullMatch, maxDfaStates);
        }
      }
    }

    /**
     * 1 if {@code data[from, to)} matches, else 0; the NFA's steps go to {@code budget}, which also checks
     * for cancellation.
     */
    public int matches(byte[] data, int from, int to, StepBudget budget) {
      if (lazy != null) {
        int answer = lazy.matches(data, from, to);
        if (answer >= 0) {
          return answer;
        }
        releaseDfa(); // the cache thrashes on this data: the NFA takes the rest of the chunk
      }
      if (nfa == null) {
        nfa = nfas.poll();
        if (nfa == null) {
          nfa = new UnicodeNfa(program, fullMatch);
        }
      }
      return nfa.matches(data, from, to, budget);
    }

    /** Whether the DFA gave up on this chunk. */
    public boolean dfaGaveUp() {
      return classes != null && lazy == null;
    }

    private void releaseDfa() {
      if (lazy != null) {
        dfas.offer(lazy);
        lazy = null;
      }
    }

    @Override
    public void close() {
      releaseDfa();
      if (nfa != null) {
        nfas.offer(nfa);
        nfa = null;
      }
    }
  }
}
