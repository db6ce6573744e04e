package dev.labelflight.engine.lf;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An Aho-Corasick automaton over UTF-8 bytes, built for all keywords of one column at once and
 * compiled into a dense DFA over byte classes: one table lookup per input byte, whatever the number of
 * keywords. Each keyword carries the local index of the LF it belongs to and whether it must match a
 * whole word. When {@code foldAsciiCase} is set, ASCII letters match either case.
 */
final class KeywordAutomaton {
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
   * Per keyword, its bytes if a {@link WordIndex} answers it exactly (word bytes only, compared as the
   * index folds them: ASCII case folded here too, or no ASCII letter), else null; null if none is.
   */
  private final byte[][] wordKeywords;
  /** Whether some keyword is not answered from words, so rows must still be scanned for it. */
  private final boolean scanRest;
  /** The masks of the keywords not answered from words, or null when their rows cannot be skipped. */
  private final long[] restMasks;
  /**
   * The word runs of each keyword not answered from the word index (a phrase such as {@code would buy again}
   * has three), or null when one of them has none: such a keyword occurs only in rows where each of its
   * runs occurs inside some word, which the index tells without reading the text.
   */
  private final byte[][][] restRuns;

  /**
   * One keyword: its bytes, the owner (local LF index), whether it must stand as a whole word, and whether
   * it must match byte for byte even in an automaton that folds ASCII case (checked on each match).
   */
  record Keyword(byte[] bytes, int owner, boolean wholeWord, boolean exactCase) {}

  KeywordAutomaton(List<Keyword> keywords, boolean foldAsciiCase) {
    int patterns = keywords.size();
    masks = TextSignatures.masks(keywords.stream().map(Keyword::bytes).toList());
    byte[][] fromWords = new byte[patterns][];
    List<byte[]> rest = new ArrayList<>();
    List<byte[][]> runs = new ArrayList<>();
    for (int p = 0; p < patterns; p++) {
      Keyword k = keywords.get(p);
      boolean exact = WordIndex.isWord(k.bytes()) && (foldAsciiCase ? !k.exactCase() : !hasAsciiLetter(k.bytes()));
      if (exact) {
        fromWords[p] = k.bytes();
      } else {
        rest.add(k.bytes());
        runs.add(wordRuns(k.bytes()));
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
      patternExact[p] = foldAsciiCase && k.exactCase() ? k.bytes() : null;
      for (byte b : k.bytes()) {
        used[fold(b & 0xff, foldAsciiCase)] = true;
      }
    }
    int c = 1;
    for (int b = 0; b < 256; b++) {
      if (used[b]) {
        byteClass[b] = c++;
      }
    }
    if (foldAsciiCase) {
      for (int b = 'A'; b <= 'Z'; b++) {
        byteClass[b] = byteClass[b + 32];
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
    // when the target has outputs (one sign test per byte decides whether to look at matches).
    for (int i = 0; i < next.length; i++) {
      int to = next[i];
      next[i] = out.get(to).isEmpty() ? to * classes : ~(to * classes);
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

  private static boolean hasAsciiLetter(byte[] bytes) {
    for (byte b : bytes) {
      if (b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z') {
        return true;
      }
    }
    return false;
  }

  private int[] newRow() {
    int[] row = new int[classes];
    Arrays.fill(row, -1);
    return row;
  }

  private static int fold(int b, boolean foldAsciiCase) {
    return foldAsciiCase && b >= 'A' && b <= 'Z' ? b + 32 : b;
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

  /** The maximal runs of word bytes in {@code keyword}. */
  private static byte[][] wordRuns(byte[] keyword) {
    List<byte[]> runs = new ArrayList<>();
    int start = -1;
    for (int i = 0; i <= keyword.length; i++) {
      boolean word = i < keyword.length && WordIndex.isWordByte(keyword[i]);
      if (word && start < 0) {
        start = i;
      } else if (!word && start >= 0) {
        runs.add(Arrays.copyOfRange(keyword, start, i));
        start = -1;
      }
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
    int scanned = 0;
    for (int row = 0; row < rows; row++) {
      if (column.isNull(row) || allowed != null && (allowed[row >>> 6] & 1L << row) == 0
          || signatures != null && !signatures.mayContainAny(row, rowMasks)) {
        continue;
      }
      scanned++;
      int start = offsets[row];
      int end = offsets[row + 1];
      int state = 0;
      int fired = 0;
      for (int j = start; j < end; j++) {
        state = next[state + byteClass[data[j] & 0xff]];
        if (state >= 0) {
          continue;
        }
        state = ~state;
        int s = state >>> classShift;
        int o = outStart[s];
        int oEnd = outStart[s + 1];
        for (; o < oEnd; o++) {
          int p = outPatterns[o];
          int owner = patternOwner[p];
          if (firedAt[owner] == row) {
            continue;
          }
          int from = j - patternLength[p] + 1;
          if (patternWholeWord[p] && !isWholeWord(data, start, end, from, j + 1)) {
            continue;
          }
          byte[] exact = patternExact[p];
          if (exact != null && !Arrays.equals(data, from, j + 1, exact, 0, exact.length)) {
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
    }
    return scanned;
  }

  private static boolean isWholeWord(byte[] data, int rowStart, int rowEnd, int from, int to) {
    return (from == rowStart || !WordIndex.isWordByte(data[from - 1]))
        && (to == rowEnd || !WordIndex.isWordByte(data[to]));
  }

  /** Receives matches. */
  @FunctionalInterface
  interface Hits {
    void hit(int owner, int row);
  }
}
