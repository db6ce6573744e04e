package dev.labelflight.engine.lf;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import dev.labelflight.engine.cancel.CancelToken;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.error.LabelFlightException.Detail;
import dev.labelflight.engine.lf.regex.CountingText;
import dev.labelflight.engine.lf.regex.StepBudget;
import dev.labelflight.engine.lf.regex.UnicodeRegex;
import dev.labelflight.engine.lf.unicode.Utf8;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * The regex LFs of one text column. Each pattern runs as a {@link UnicodeRegex} (a lazy DFA over the
 * column's UTF-8 bytes, and an NFA simulation over code points for the rows the DFA cannot answer), with
 * the meaning of {@link LfFields#PATTERN}: RE2 syntax, Python's Unicode {@code \w \d \s \b}, full case
 * folding. RE2J validates every pattern, and runs one only if the parser cannot read it. Every pattern's
 * required literals ({@link RegexPrefilter}) go into one shared Aho-Corasick automaton that scans the
 * column once per chunk, whatever the number of LFs; each LF then runs only on the rows where one of its
 * literals occurs (patterns without usable literals run on every row).
 *
 * <p>Bounds: a pattern whose program would have more than {@link LfLimits#maxRegexProgramSize}
 * instructions is refused at compile time; the slow engines (the NFA, RE2J) may take at most
 * {@link LfLimits#regexStepsPerByte} steps per byte of the chunk's text per LF, past which the LF fails with
 * RESOURCE_EXHAUSTED. Every engine checks the thread's {@link CancelToken} as it goes.
 */
final class RegexMatcher implements LfEvaluator {
  private final String column;
  private final Member[] members;
  private final long stepsPerByte;
  /** Position in {@link #members} of each prefiltered member, by automaton owner. */
  private final int[] prefilteredMember;
  /** Automaton owner of each member, -1 when it has no prefilter. */
  private final int[] ownerOf;
  /** All prefiltered members' literals; null when none has any. */
  private final KeywordAutomaton prefilter;

  /**
   * One regex LF of the group: RE2J's pattern (validation, and the engine when {@code regex} is null) and
   * its compiled form; {@code weight} is its program size, what RE2J is charged per character it reads.
   */
  record Member(int slot, byte label, String name, Pattern pattern, UnicodeRegex regex, boolean fullMatch,
      boolean caseInsensitive, long weight) {}

  /** The LFs of one column, gathered while a job's LFs compile. */
  static final class Group implements LfSetBuilder.Group {
    private final String column;
    private final long stepsPerByte;
    private final List<Member> members = new ArrayList<>();

    Group(String column, long stepsPerByte) {
      this.column = column;
      this.stepsPerByte = stepsPerByte;
    }

    @Override
    public LfEvaluator build() {
      return new RegexMatcher(column, members, stepsPerByte);
    }
  }

  /** The compile hook of {@link LfKind#REGEX}. */
  static void compile(LfSpec spec, int slot, LfSetBuilder set) {
    String column = set.column(spec, LfFields.TEXT_COLUMN).getName();
    LfLimits limits = set.limits();
    String pattern = spec.string(LfFields.PATTERN);
    if (pattern.isEmpty()) {
      throw spec.invalid("pattern", "'pattern' is empty");
    }
    if (pattern.length() > limits.maxRegexLength()) {
      throw spec.overLimit("pattern", "pattern is longer than " + limits.maxRegexLength()
          + " characters (limits.maxRegexLength)", limits.maxRegexLength(), pattern.length(), "chars");
    }
    boolean full = spec.string(LfFields.MATCH).equals("full");
    boolean caseInsensitive = !spec.bool(LfFields.REGEX_CASE_SENSITIVE);
    boolean dotAll = spec.bool(LfFields.DOT_ALL);
    boolean multiline = spec.bool(LfFields.MULTILINE);
    // The size first, from the parsed tree: RE2J would expand ((a{100}){100}){100} into a million instructions.
    UnicodeRegex regex;
    long size;
    try {
      regex = UnicodeRegex.compile(pattern, caseInsensitive, dotAll, multiline, full, limits.maxRegexProgramSize())
          .orElse(null);
      size = regex != null ? regex.programSize() : pattern.length();
    } catch (UnicodeRegex.TooLargeException e) {
      throw spec.overLimit("pattern", "the pattern's program would have " + e.size() + " instructions, more than "
          + "limits.maxRegexProgramSize = " + limits.maxRegexProgramSize() + " (counted repeats multiply: "
          + "write fewer or smaller ones)", limits.maxRegexProgramSize(), e.size(), "instructions");
    }
    int flags = (caseInsensitive ? Pattern.CASE_INSENSITIVE : 0) | (dotAll ? Pattern.DOTALL : 0)
        | (multiline ? Pattern.MULTILINE : 0);
    Pattern re2j;
    try {
      re2j = Pattern.compile(pattern, flags);
    } catch (PatternSyntaxException e) {
      throw spec.invalid("pattern", "invalid regex: " + e.getMessage());
    } catch (StackOverflowError e) {
      throw spec.invalid("pattern", "regex is too deeply nested");
    }
    set.group(List.of(LfKind.REGEX, column), Group.class, () -> new Group(column, limits.regexStepsPerByte()))
        .members.add(new Member(slot, set.code(spec), spec.name(), re2j, regex, full, caseInsensitive, size));
  }

  /** A group of one LF (for tests): {@code maxDfaStates} as {@link UnicodeRegex#compile} takes it. */
  static RegexMatcher of(String column, int slot, byte label, Pattern pattern, boolean full, int maxDfaStates) {
    boolean ci = (pattern.flags() & Pattern.CASE_INSENSITIVE) != 0;
    try {
      UnicodeRegex regex = UnicodeRegex.compile(pattern.pattern(), ci, (pattern.flags() & Pattern.DOTALL) != 0,
          (pattern.flags() & Pattern.MULTILINE) != 0, full, LfLimits.DEFAULT_MAX_REGEX_PROGRAM_SIZE, maxDfaStates)
          .orElse(null);
      return new RegexMatcher(column, List.of(new Member(slot, label, "r", pattern, regex, full, ci,
          regex == null ? pattern.pattern().length() : regex.programSize())), LfLimits.DEFAULT_REGEX_STEPS_PER_BYTE);
    } catch (UnicodeRegex.TooLargeException e) {
      throw new IllegalArgumentException(e);
    }
  }

  RegexMatcher(String column, List<Member> members, long stepsPerByte) {
    this.column = column;
    this.members = members.toArray(Member[]::new);
    this.stepsPerByte = stepsPerByte;
    this.ownerOf = new int[members.size()];
    List<Integer> prefiltered = new ArrayList<>();
    List<String> literals = new ArrayList<>();
    List<Integer> literalOwners = new ArrayList<>();
    List<Boolean> literalCaseSensitive = new ArrayList<>();
    boolean fold = false;
    for (int m = 0; m < this.members.length; m++) {
      Member member = this.members[m];
      boolean ci = member.caseInsensitive();
      var required = RegexPrefilter.requiredLiterals(member.pattern().pattern())
          // The folding automaton reads rows folded as the pattern folds (Unicode orbits: K and the Kelvin sign
          // alike), so a row where no folded literal occurs cannot match; only ASCII literals are folded here.
          .filter(ls -> !ci || ls.stream().allMatch(RegexMatcher::isAscii));
      if (required.isEmpty()) {
        ownerOf[m] = -1;
        continue;
      }
      int owner = prefiltered.size();
      ownerOf[m] = owner;
      prefiltered.add(m);
      fold |= ci;
      for (String l : required.get()) {
        literals.add(l);
        literalOwners.add(owner);
        literalCaseSensitive.add(!ci);
      }
    }
    List<KeywordAutomaton.Keyword> keywords = new ArrayList<>();
    for (int i = 0; i < literals.size(); i++) {
      keywords.add(KeywordAutomaton.Keyword.of(literals.get(i), literalOwners.get(i), false, literalCaseSensitive.get(i),
          fold));
    }
    this.prefilteredMember = prefiltered.stream().mapToInt(Integer::intValue).toArray();
    this.prefilter = keywords.isEmpty() ? null : new KeywordAutomaton(keywords, fold);
  }

  private static boolean isAscii(String s) {
    return s.chars().allMatch(c -> c < 0x80);
  }

  /** True if every pattern's required literals let rows be skipped without running the regex. */
  boolean hasPrefilter() {
    return Arrays.stream(ownerOf).allMatch(o -> o >= 0);
  }

  @Override
  public int[] slots() {
    return Arrays.stream(members).mapToInt(Member::slot).toArray();
  }

  @Override
  public void evaluate(VectorSchemaRoot chunk, byte[][] out) {
    CancelToken.check();
    TextColumn text = TextColumn.of(chunk.getVector(column));
    int rows = text.rows();
    // One scan for all prefiltered LFs: a bitmap per LF of the rows where one of its literals occurs.
    int words = (rows + 63) >>> 6;
    long[][] candidates = new long[prefilteredMember.length][];
    if (prefilter != null) {
      for (int o = 0; o < candidates.length; o++) {
        candidates[o] = new long[words];
      }
      prefilter.scan(text, candidates.length, (owner, row) -> candidates[owner][row >>> 6] |= 1L << row);
    }
    for (int m = 0; m < members.length; m++) {
      Member member = members[m];
      MemberScan matching = new MemberScan(member, text, out[member.slot()],
          StepBudget.perByte(stepsPerByte, text.data.length));
      try {
        if (ownerOf[m] < 0) {
          for (int row = 0; row < rows; row++) {
            matching.match(row);
          }
          continue;
        }
        long[] hits = candidates[ownerOf[m]];
        for (int w = 0; w < words; w++) {
          long bits = hits[w];
          while (bits != 0) {
            int row = (w << 6) + Long.numberOfTrailingZeros(bits);
            bits &= bits - 1;
            matching.match(row);
          }
        }
      } catch (StepBudget.Exhausted e) {
        throw new LabelFlightException(LabelFlightException.Kind.RESOURCE_EXHAUSTED, "LF '" + member.name()
            + "' (regex): matching needed more than limits.regexStepsPerByte = " + stepsPerByte + " steps per byte "
            + "of a chunk's text (" + e.steps() + " steps on this chunk); the pattern is too costly for this data: "
            + "simplify it (fewer counted repeats, fewer overlapping alternatives)")
            .withDetail(Detail.LF, member.name()).withDetail(Detail.LF_KIND, LfKind.REGEX.id())
            .withDetail(Detail.LIMIT, stepsPerByte).withDetail(Detail.UNIT, "steps per byte");
      } finally {
        matching.close();
      }
    }
  }

  /** One member's matching over one chunk: its engines' state for the chunk, or RE2J. */
  private static final class MemberScan {
    private static final int CHECK_ROWS = 1024;

    private final Member member;
    private final TextColumn text;
    private final byte[] labels;
    private final StepBudget budget;
    private final UnicodeRegex.Scan scan;
    private Matcher matcher;
    private CountingText input;
    private int rowsSinceCheck;

    MemberScan(Member member, TextColumn text, byte[] labels, StepBudget budget) {
      this.member = member;
      this.text = text;
      this.labels = labels;
      this.budget = budget;
      this.scan = member.regex() == null ? null : member.regex().scan();
    }

    void match(int row) {
      if (++rowsSinceCheck == CHECK_ROWS) {
        rowsSinceCheck = 0;
        CancelToken.check();
      }
      if (text.isNull(row)) {
        return;
      }
      int start = text.offsets[row];
      int end = text.offsets[row + 1];
      if (scan != null) {
        if (scan.matches(text.data, start, end, budget) == 1) {
          labels[row] = member.label();
        }
        return;
      }
      if (matcher == null) {
        input = new CountingText(budget, member.weight());
        matcher = member.pattern().matcher("");
      }
      matcher.reset(input.at(text.data, start, end, Utf8.isAscii(text.data, start, end)));
      if (member.fullMatch() ? matcher.matches() : matcher.find()) {
        labels[row] = member.label();
      }
    }

    void close() {
      if (scan != null) {
        scan.close();
      }
    }
  }
}
