package dev.labelflight.engine.lf.regex;

import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A regex LF's pattern compiled for boolean matching over UTF-8 rows with LabelFlight's meaning of RE2
 * syntax ({@link RegexParser.Syntax#UNICODE}: Python's Unicode {@code \w \d \s \b}, full case folding).
 * Two engines, both linear in the text:
 * <ul>
 *   <li>a lazy DFA ({@link ByteRegex}) over the row's bytes, the fast one. A pattern with Unicode classes
 *   or word boundaries gets the DFA of its ASCII projection ({@link RegexNode#asciiProjection}), which is
 *   exact on ASCII rows only: it quits at a row's first byte above 0x7F (a transition like any other, so
 *   ASCII rows pay nothing for it) and the NFA answers that row. No DFA at all when its byte program
 *   would be too large;</li>
 *   <li>the NFA simulation ({@link UnicodeNfa}) over code points, for the other rows, and for the rest of
 *   a chunk once the DFA's cache thrashed on a row. Its work counts against the LF's {@link StepBudget}.</li>
 * </ul>
 * Before anything is built, the pattern's program size is known from its tree: {@link #compile} refuses
 * patterns above a limit ({@link TooLargeException}). Thread-safe: each evaluating thread borrows the
 * engines' state for a chunk through {@link #scan}.
 */
public final class UnicodeRegex {
  private final long programSize;
  private final ByteRegex dfa;
  private final CodePointProgram nfaProgram;
  private final boolean fullMatch;
  private final ConcurrentLinkedQueue<UnicodeNfa> nfas = new ConcurrentLinkedQueue<>();

  private UnicodeRegex(long programSize, ByteRegex dfa, CodePointProgram nfaProgram, boolean fullMatch) {
    this.programSize = programSize;
    this.dfa = dfa;
    this.nfaProgram = nfaProgram;
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
    CodePointProgram nfa;
    try {
      nfa = CodePointProgram.compile(node, fullMatch, maxProgramSize + 2);
    } catch (UnsupportedRegexException e) {
      throw new TooLargeException(size);
    }
    boolean asciiOnly = RegexNode.dependsOnUnicodeClasses(node);
    ByteRegex dfa = maxDfaStates < 0 ? null
        : ByteRegex.compile(asciiOnly ? RegexNode.asciiProjection(node) : node, fullMatch, maxDfaStates, asciiOnly)
            .orElse(null);
    return Optional.of(new UnicodeRegex(size, dfa, nfa, fullMatch));
  }

  /** Instructions of the pattern's code point program. */
  public long programSize() {
    return programSize;
  }

  /** Whether a DFA serves (some) rows. */
  public boolean hasDfa() {
    return dfa != null;
  }

  /** The engines' state for one chunk on this thread; close it when the chunk is done. */
  public Scan scan() {
    return new Scan();
  }

  /** One chunk's matching on one thread: a borrowed DFA cache until it thrashes, and an NFA. */
  public final class Scan implements AutoCloseable {
    private LazyDfa lazy;
    private UnicodeNfa nfa;

    private Scan() {
      this.lazy = dfa == null ? null : dfa.acquire();
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
        if (answer == LazyDfa.GAVE_UP) {
          releaseDfa(); // the cache thrashes on this data: the NFA takes the rest of the chunk
        } // else NON_ASCII: a DFA exact on ASCII rows only met another character; the NFA takes this row
      }
      if (nfa == null) {
        nfa = nfas.poll();
        if (nfa == null) {
          nfa = new UnicodeNfa(nfaProgram, fullMatch);
        }
      }
      return nfa.matches(data, from, to, budget);
    }

    /** Whether the DFA gave up on this chunk. */
    public boolean dfaGaveUp() {
      return dfa != null && lazy == null;
    }

    private void releaseDfa() {
      if (lazy != null) {
        dfa.release(lazy);
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
