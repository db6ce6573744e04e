package dev.labelflight.engine.lf.regex;

import com.google.re2j.Pattern;
import dev.labelflight.engine.lf.regex.RegexNode.Kind;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A regex compiled for boolean matching over UTF-8 bytes with a lazy DFA ({@link LazyDfa}). From an RE2J
 * pattern ({@link #compile(Pattern, boolean)}, RE2 syntax: CEL's {@code matches()}) it gives the same answer
 * as RE2J's {@code find()} or {@code matches()} for the supported syntax ({@link RegexParser}). (Regex LFs,
 * with Unicode classes, run on {@link CodePointDfa} instead.) Thread-safe: each evaluating thread borrows a DFA
 * cache from a pool and returns it.
 */
public final class ByteRegex {
  /** Cache memory per DFA: about this many table entries (4 bytes each). */
  private static final int TABLE_ENTRIES = 1 << 20;
  private static final int MAX_STATES = 10_000;

  private final ByteProgram program;
  private final int[] classOf;
  private final int classes;
  private final int maxStates;
  private final ConcurrentLinkedQueue<LazyDfa> pool = new ConcurrentLinkedQueue<>();

  private ByteRegex(ByteProgram program, int maxStates) {
    this.program = program;
    this.classOf = new int[256];
    this.classes = byteClasses(program, classOf);
    this.maxStates = maxStates > 0 ? maxStates : Math.max(16, Math.min(MAX_STATES, TABLE_ENTRIES / (classes + 1)));
  }

  /**
   * The DFA form of an RE2J pattern (its flags CASE_INSENSITIVE, DOTALL, MULTILINE honoured), for
   * {@code matches()} when {@code fullMatch}, else {@code find()}; empty when the pattern uses syntax the
   * DFA does not run.
   */
  public static Optional<ByteRegex> compile(Pattern pattern, boolean fullMatch) {
    return compile(pattern, fullMatch, 0);
  }

  /** As {@link #compile(Pattern, boolean)}, with at most {@code maxStates} DFA states per cache (0: default). */
  public static Optional<ByteRegex> compile(Pattern pattern, boolean fullMatch, int maxStates) {
    int flags = pattern.flags();
    if ((flags & ~(Pattern.CASE_INSENSITIVE | Pattern.DOTALL | Pattern.MULTILINE)) != 0) {
      return Optional.empty();
    }
    try {
      RegexNode node = RegexParser.parse(pattern.pattern(), (flags & Pattern.CASE_INSENSITIVE) != 0,
          (flags & Pattern.DOTALL) != 0, (flags & Pattern.MULTILINE) != 0);
      return Optional.of(new ByteRegex(ByteProgram.compile(node, fullMatch), maxStates));
    } catch (UnsupportedRegexException | StackOverflowError e) {
      return Optional.empty();
    }
  }

  /** Why {@code pattern} has no DFA form, or empty if it has one. */
  public static Optional<String> unsupported(String pattern) {
    try {
      ByteProgram.compile(RegexParser.parse(pattern, false, false, false), false);
      return Optional.empty();
    } catch (UnsupportedRegexException e) {
      return Optional.of(e.getMessage());
    }
  }

  /** A DFA cache for this thread's use until {@link #release}. */
  public LazyDfa acquire() {
    LazyDfa dfa = pool.poll();
    return dfa != null ? dfa : new LazyDfa(program, classOf, classes, maxStates);
  }

  public void release(LazyDfa dfa) {
    pool.offer(dfa);
  }

  /**
   * Splits the 256 byte values into classes no instruction or assertion tells apart; returns the count.
   */
  private static int byteClasses(ByteProgram program, int[] classOf) {
    boolean[] boundary = new boolean[257];
    for (int pc = 0; pc < program.size; pc++) {
      if (program.op[pc] == ByteProgram.BYTE && program.lo[pc] <= program.hi[pc]) {
        boundary[program.lo[pc]] = true;
        boundary[program.hi[pc] + 1] = true;
      }
    }
    if (program.uses(Kind.WORD_BOUNDARY) || program.uses(Kind.NOT_WORD_BOUNDARY)) {
      for (int b : new int[] {'0', '9' + 1, 'A', 'Z' + 1, '_', '_' + 1, 'a', 'z' + 1}) {
        boundary[b] = true;
      }
    }
    boundary['\n'] = true;
    boundary['\n' + 1] = true;
    boundary[0x80] = true;
    boundary[0xC0] = true;
    int c = -1;
    for (int b = 0; b < 256; b++) {
      if (b == 0 || boundary[b]) {
        c++;
      }
      classOf[b] = c;
    }
    return c + 1;
  }
}
