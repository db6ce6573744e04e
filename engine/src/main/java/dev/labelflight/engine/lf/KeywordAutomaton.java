package dev.labelflight.engine.lf;

import dev.labelflight.engine.cancel.CancelToken;
import dev.labelflight.engine.lf.unicode.CaseFolding;
import dev.labelflight.engine.lf.unicode.Utf8;
import dev.labelflight.engine.lf.unicode.WordCharacters;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An Aho-Corasick automaton over UTF-8 bytes, built for all keywords of one column at once and
 * compiled into a dense DFA over byte classes: one table lookup per input byte, whatever the number of
 * keywords. Each keyword carries the local index of the LF it belongs to and whether it must match a
 * whole word. A <em>folding</em> automaton (some keyword ignores case) holds every keyword case-folded
 * ({@link CaseFolding}) and reads rows folded: ASCII rows through its byte classes (A-Z read as a-z); at a
 * byte above 0x7F (its transitions are flagged, like those into states with matches, so ASCII text pays
 * nothing) an automaton of ASCII keywords steps over a character that folds to no ASCII one, and otherwise
 * the row is read again folded into a scratch copy, whose bytes map back to the row's;
 * keywords that keep their case are compared byte for byte with the row on each match. Whole-word and exact-case checks read the row
 * itself, so they follow Unicode's word characters ({@link WordCharacters}).
 *
 * <p>A little over 400 lines on purpose: building the automaton and its scan loops share the packed state
 * tables, and splitting them would put the hot loop behind accessors.
 */
final class KeywordAutomaton {
  /** Rows scanned between cancellation checks, or fewer when the rows are long ({@link #CHECK_BYTES}). */
  private static final int CHECK_ROWS = 1024;
  private static final int CHECK_BYTES = 1 << 20;

  private final boolean fold;
  /**
   * Whether every keyword is ASCII once folded: then a folding scan steps over a non-ASCII character that
   * folds to no ASCII one in place, and reads the row folded only at one that does (rare: K, ſ, İ, ı).
   */
  private final boolean asciiKeywords;
  private final int[] byteClass = new int[256];
  private final int classes;
  private final int classShift;
  private final int[] next;
  private final int[] outStart;
  private final int[] outPatterns;
  private final int[] patternOwner;
  private final int[] patternLength;
  private final boolean[] patternWholeWord;
  private final byte[][] patternExact;
  /** The keywords' {@link TextSignatures} masks, or null when rows cannot be skipped. */
  private final long[] masks;
  /**
   * Per keyword, its folded bytes if a {@link WordIndex} answers it exactly (word characters only, and
   * either case-insensitive or without any character that has another case), else null; null if none is.
   */
  private final byte[][] wordKeywords;
  /** Whether some keyword is not answered from words, so rows must still be scanned for it. */
  private final boolean scanRest;
  /** The masks of the keywords not answered from words, or null when their rows cannot be skipped. */
  private final long[] restMasks;
  /**
   * The folded word runs of each keyword not answered from the word index (a phrase such as
   * {@code would buy again} has three), or null when one of them has none: such a keyword occurs only in
   * rows where each of its runs occurs inside some word, which the index tells without reading the text.
   */
  private final byte[][][] restRuns;

  /**
   * One keyword: {@code text} as written, {@code bytes} as the automaton holds them (folded in a folding
   * automaton), the owner (local LF index), whether it must stand as a whole word, whether it keeps its
   * case, and, for a case-sensitive keyword in a folding automaton, the bytes to compare on each match.
   */
  record Keyword(String text, byte[] bytes, int owner, boolean wholeWord, boolean caseSensitive, byte[] exact) {
    /** {@code text} as a folding automaton ({@code folding}) or an exact one holds it. */
    static Keyword of(String text, int owner, boolean wholeWord, boolean caseSensitive, boolean folding) {
      byte[] raw = text.getBytes(StandardCharsets.UTF_8);
      return new Keyword(text, folding ? CaseFolding.foldToUtf8(text) : raw, owner, wholeWord, caseSensitive,
          folding && caseSensitive ? raw : null);
    }
  }

  KeywordAutomaton(List<Keyword> keywords, boolean fold) {
    this.fold = fold;
    int patterns = keywords.size();
    masks = TextSignatures.masks(keywords);
    byte[][] fromWords = new byte[patterns][];
    List<Keyword> rest = new ArrayList<>();
    List<byte[][]> runs = new ArrayList<>();
    for (int p = 0; p < patterns; p++) {
      Keyword k = keywords.get(p);
      if (answeredByWords(k)) {
        fromWords[p] = CaseFolding.foldToUtf8(k.text());
      } else {
        rest.add(k);
        runs.add(wordRuns(k.text()));
      }
    }
    restRuns = runs.stream().anyMatch(r -> r.length == 0) ? null : runs.toArray(byte[][][]::new);
    wordKeywords = rest.size() < patterns ? fromWords : null;
    scanRest = !rest.isEmpty();
    restMasks = TextSignatures.masks(rest);
    patternOwner = new int[patterns];
    patternLength = new int[patterns];
    patternWholeWord = new boolean[patterns];
    patternExact = new byte[patterns][];
    // Byte classes: every byte used by a keyword gets its own class, the rest share class 0.
    boolean[] used = new boolean[256];
    for (int p = 0; p < patterns; p++) {
      Keyword k = keywords.get(p);
      patternOwner[p] = k.owner();
      patternLength[p] = k.bytes().length;
      patternWholeWord[p] = k.wholeWord();
      patternExact[p] = k.exact();
      for (byte b : k.bytes()) {
        used[foldAscii(b & 0xff, fold)] = true;
      }
    }
    boolean ascii = true;
    for (int b = 0x80; b < 256; b++) {
      ascii &= !used[b];
    }
    asciiKeywords = ascii;
    int c = 1;
    for (int b = 0; b < 256; b++) {
      if (used[b]) {
        byteClass[b] = c++;
      }
    }
    // A folding automaton must see a row's first byte above 0x7F (the row is then read folded): those bytes
    // get classes of their own, whose transitions are all flagged (below).
    boolean[] nonAsciiClass = new boolean[c + 1];
    if (fold) {
      for (int b = 'A'; b <= 'Z'; b++) {
        byteClass[b] = byteClass[b + 32];
      }
      int other = c++;
      for (int b = 0x80; b < 256; b++) {
        if (!used[b]) {
          byteClass[b] = other;
        }
        nonAsciiClass[byteClass[b]] = true;
      }
    }
    // Rows as wide as the next power of two: a state's index is then a shift away from its row offset.
    classShift = 32 - Integer.numberOfLeadingZeros(c - 1);
    classes = 1 << classShift;

    // Trie.
    List<int[]> go = new ArrayList<>();
    List<List<Integer>> out = new ArrayList<>();
    go.add(newRow());
    out.add(new ArrayList<>());
    for (int p = 0; p < patterns; p++) {
      int state = 0;
      for (byte b : keywords.get(p).bytes()) {
        int cls = byteClass[b & 0xff];
        int to = go.get(state)[cls];
        if (to < 0) {
          to = go.size();
          go.get(state)[cls] = to;
          go.add(newRow());
          out.add(new ArrayList<>());
        }
        state = to;
      }
      out.get(state).add(p);
    }

    // Breadth-first failure links, turning the trie into a complete DFA; outputs inherit along links.
    int states = go.size();
    int[] fail = new int[states];
    next = new int[states * classes];
    ArrayDeque<Integer> queue = new ArrayDeque<>();
    for (int cls = 0; cls < classes; cls++) {
      int to = go.get(0)[cls];
      if (to < 0) {
        next[cls] = 0;
      } else {
        next[cls] = to;
        fail[to] = 0;
        queue.add(to);
      }
    }
    while (!queue.isEmpty()) {
      int s = queue.poll();
      out.get(s).addAll(out.get(fail[s]));
      for (int cls = 0; cls < classes; cls++) {
        int to = go.get(s)[cls];
        if (to < 0) {
          next[s * classes + cls] = next[fail[s] * classes + cls];
        } else {
          next[s * classes + cls] = to;
          fail[to] = next[fail[s] * classes + cls];
          queue.add(to);
        }
      }
    }
    // Transitions hold the target pre-multiplied by the class count (no multiply per byte), bit-inverted
    // when the target has outputs or the byte is not ASCII in a folding automaton (one sign test per byte
    // decides whether to look further).
    for (int i = 0; i < next.length; i++) {
      int to = next[i];
      int cls = i & (classes - 1);
      boolean flagged = !out.get(to).isEmpty() || cls < nonAsciiClass.length && nonAsciiClass[cls];
      next[i] = flagged ? ~(to * classes) : to * classes;
    }
    outStart = new int[states + 1];
    int total = 0;
    for (int s = 0; s < states; s++) {
      outStart[s] = total;
      total += out.get(s).size();
    }
    outStart[states] = total;
    outPatterns = new int[total];
    for (int s = 0; s < states; s++) {
      List<Integer> o = out.get(s);
      for (int i = 0; i < o.size(); i++) {
        outPatterns[outStart[s] + i] = o.get(i);
      }
    }
  }

  /**
   * Whether the (folded) word index answers the keyword exactly: it is made of word characters only, so it
   * lies within one word wherever it occurs; and the index's folding loses nothing it needs.
   */
  private static boolean answeredByWords(Keyword k) {
    if (k.text().isEmpty() || !k.text().codePoints().allMatch(WordCharacters::isWord)) {
      return false;
    }
    return !k.caseSensitive() || k.text().codePoints().allMatch(CaseFolding::isCaseless);
  }

  private int[] newRow() {
    int[] row = new int[classes];
    Arrays.fill(row, -1);
    return row;
  }

  private static int foldAscii(int b, boolean fold) {
    return fold && b >= 'A' && b <= 'Z' ? b + 32 : b;
  }

  int states() {
    return outStart.length - 1;
  }

  /**
   * Calls {@code hit(owner, row)} at most once per owner and row where one of the owner's keywords
   * occurs. On a kept column, keywords the column's word index answers are looked up there, and only the
   * rows whose signatures allow one of the other keywords are scanned (all of them on a per-job copy).
   * Returns the number of rows scanned.
   */
  int scan(TextColumn column, int owners, Hits hits) {
    // When the other keywords cannot skip rows, the full scan finds the word keywords' rows as well.
    boolean restSkips = !scanRest || restMasks != null || restRuns != null;
    WordIndex index = (wordKeywords != null || restRuns != null) && restSkips ? column.words() : null;
    if (index == null) {
      return scanRows(column, owners, masks == null ? null : column.signatures(), masks, null, hits);
    }
    int rows = column.rows();
    long[][] found = new long[owners][(rows + 63) >>> 6];
    for (int p = 0; wordKeywords != null && p < wordKeywords.length; p++) {
      if (wordKeywords[p] != null) {
        index.rowsWith(wordKeywords[p], patternWholeWord[p], found[patternOwner[p]]);
      }
    }
    int scanned = 0;
    if (scanRest) {
      scanned = scanRows(column, owners, restMasks == null ? null : column.signatures(), restMasks,
          restRuns == null ? null : rowsWithRuns(index, rows),
          (owner, row) -> found[owner][row >>> 6] |= 1L << row);
    }
    for (int owner = 0; owner < owners; owner++) {
      long[] bits = found[owner];
      for (int w = 0; w < bits.length; w++) {
        long b = bits[w];
        while (b != 0) {
          hits.hit(owner, (w << 6) + Long.numberOfTrailingZeros(b));
          b &= b - 1;
        }
      }
    }
    return scanned;
  }

  /** The rows where, for one of the other keywords, each of its word runs occurs inside a word. */
  private long[] rowsWithRuns(WordIndex index, int rows) {
    int words = (rows + 63) >>> 6;
    long[] any = new long[words];
    long[] run = new long[words];
    long[] all = new long[words];
    for (byte[][] keywordRuns : restRuns) {
      Arrays.fill(all, -1L);
      for (byte[] r : keywordRuns) {
        Arrays.fill(run, 0L);
        index.rowsWith(r, false, run);
        for (int w = 0; w < words; w++) {
          all[w] &= run[w];
        }
      }
      for (int w = 0; w < words; w++) {
        any[w] |= all[w];
      }
    }
    return any;
  }

  /** The maximal runs of word characters in {@code keyword}, folded. */
  private static byte[][] wordRuns(String keyword) {
    List<byte[]> runs = new ArrayList<>();
    StringBuilder run = new StringBuilder();
    keyword.codePoints().forEach(cp -> {
      if (WordCharacters.isWord(cp)) {
        run.appendCodePoint(cp);
      } else if (run.length() > 0) {
        runs.add(CaseFolding.foldToUtf8(run.toString()));
        run.setLength(0);
      }
    });
    if (run.length() > 0) {
      runs.add(CaseFolding.foldToUtf8(run.toString()));
    }
    return runs.toArray(byte[][]::new);
  }

  /**
   * Runs the automaton over the rows whose signature allows one of the keywords {@code rowMasks} stand
   * for (every row when {@code signatures} is null) and, when {@code allowed} is not null, that it marks;
   * {@code owners} is the number of distinct owners, so a row stops scanning once all have fired. Returns
   * the number of rows scanned.
   */
  private int scanRows(TextColumn column, int owners, TextSignatures signatures, long[] rowMasks, long[] allowed,
      Hits hits) {
    int[] firedAt = new int[owners];
    Arrays.fill(firedAt, -1);
    byte[] data = column.data;
    int[] offsets = column.offsets;
    int rows = column.rows();
    byte[] folded = null;
    int[] origin = null;
    int scanned = 0;
    long sinceCheck = 0;
    for (int row = 0; row < rows; row++) {
      if ((row & (CHECK_ROWS - 1)) == 0 || sinceCheck > CHECK_BYTES) {
        CancelToken.check();
        sinceCheck = 0;
      }
      if (column.isNull(row) || allowed != null && (allowed[row >>> 6] & 1L << row) == 0
          || signatures != null && !signatures.mayContainAny(row, rowMasks)) {
        continue;
      }
      scanned++;
      int start = offsets[row];
      int end = offsets[row + 1];
      sinceCheck += end - start;
      if (!scanRow(data, start, end, null, data, start, end, row, owners, firedAt, hits)) {
        // A row with other characters is read again folded, through a scratch copy that maps back to the row.
        int need = CaseFolding.maxFoldedLength(end - start);
        if (folded == null || folded.length < need) {
          folded = new byte[Math.max(need, 256)];
          origin = new int[folded.length + 1];
        }
        int length = CaseFolding.foldUtf8(data, start, end, folded, origin);
        scanRow(folded, 0, length, origin, data, start, end, row, owners, firedAt, hits);
      }
    }
    return scanned;
  }

  /**
   * Runs the automaton over {@code buffer[from, to)}, which is row {@code row} itself ({@code origin} null)
   * or its folded copy, whose byte k came from {@code data[origin[k]]}. Returns false, having reported
   * matches up to there, when a folding automaton reading the row itself meets a byte above 0x7F: the row
   * must be read folded.
   */
  private boolean scanRow(byte[] buffer, int from, int to, int[] origin, byte[] data, int rowStart, int rowEnd,
      int row, int owners, int[] firedAt, Hits hits) {
    int state = 0;
    int fired = 0;
    for (int j = from; j < to; j++) {
      state = next[state + byteClass[buffer[j] & 0xff]];
      if (state >= 0) {
        continue;
      }
      state = ~state;
      if (buffer[j] < 0 && fold && origin == null) {
        if (!asciiKeywords) {
          return false;
        }
        int n = Utf8.advance(buffer, j, to);
        if (CaseFolding.fold(n == 1 ? Utf8.REPLACEMENT : Utf8.decode(buffer, j, to)) < 0x80) {
          return false; // the Kelvin sign, long s...: the row is read folded
        }
        // Every keyword is ASCII once folded, and this character folds to none of them: no occurrence spans it.
        state = 0;
        j += n - 1;
        continue;
      }
      int s = state >>> classShift;
      int o = outStart[s];
      int oEnd = outStart[s + 1];
      for (; o < oEnd; o++) {
        int p = outPatterns[o];
        int owner = patternOwner[p];
        if (firedAt[owner] == row) {
          continue;
        }
        int matchFrom = j - patternLength[p] + 1;
        int matchTo = j + 1;
        if (origin != null) {
          matchFrom = origin[matchFrom];
          matchTo = origin[matchTo];
        }
        if (patternWholeWord[p] && (WordCharacters.wordBefore(data, rowStart, matchFrom)
            || WordCharacters.wordAt(data, matchTo, rowEnd))) {
          continue;
        }
        byte[] exact = patternExact[p];
        if (exact != null && !Arrays.equals(data, matchFrom, matchTo, exact, 0, exact.length)) {
          continue;
        }
        firedAt[owner] = row;
        hits.hit(owner, row);
        fired++;
      }
      if (fired == owners) {
        break;
      }
    }
    return true;
  }

  /** Receives matches. */
  @FunctionalInterface
  interface Hits {
    void hit(int owner, int row);
  }
}
