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
  /** Each keyword's bytes when every keyword can be answered from a {@link WordIndex}; else null. */
  private final byte[][] wordKeywords;

  /**
   * One keyword: its bytes, the owner (local LF index), whether it must stand as a whole word, and whether
   * it must match byte for byte even in an automaton that folds ASCII case (checked on each match).
   */
  record Keyword(byte[] bytes, int owner, boolean wholeWord, boolean exactCase) {}

  KeywordAutomaton(List<Keyword> keywords, boolean foldAsciiCase) {
    int patterns = keywords.size();
    masks = TextSignatures.masks(keywords.stream().map(Keyword::bytes).toList());
    // Exact from words: word bytes only, compared as the index folds them (folded here too, or caseless).
    wordKeywords = patterns > 0 && keywords.stream().allMatch(k -> WordIndex.isWord(k.bytes())
        && (foldAsciiCase ? !k.exactCase() : !hasAsciiLetter(k.bytes())))
        ? keywords.stream().map(Keyword::bytes).toArray(byte[][]::new) : null;
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
   * Scans rows and calls {@code hit(owner, row)} at most once per owner and row. {@code owners} is
   * the number of distinct owners, so a row stops scanning once all have fired. Rows whose signature
   * (when the column has them) rules out every keyword are skipped. Returns the number of rows scanned.
   */
  int scan(TextColumn column, int owners, Hits hits) {
    WordIndex index = wordKeywords == null ? null : column.words();
    if (index != null) {
      answer(index, column.rows(), owners, hits);
      return 0;
    }
    int[] firedAt = new int[owners];
    Arrays.fill(firedAt, -1);
    byte[] data = column.data;
    int[] offsets = column.offsets;
    int rows = column.rows();
    TextSignatures signatures = masks == null ? null : column.signatures();
    int scanned = 0;
    for (int row = 0; row < rows; row++) {
      if (column.isNull(row) || signatures != null && !signatures.mayContainAny(row, masks)) {
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

  /** Reports every owner's rows from the word index, without scanning text. */
  private void answer(WordIndex index, int rows, int owners, Hits hits) {
    long[][] found = new long[owners][(rows + 63) >>> 6];
    for (int p = 0; p < wordKeywords.length; p++) {
      index.rowsWith(wordKeywords[p], patternWholeWord[p], found[patternOwner[p]]);
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
