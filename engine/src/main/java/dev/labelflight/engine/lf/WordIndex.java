package dev.labelflight.engine.lf;

import java.util.Arrays;

/**
 * An inverted index over one kept text column: its distinct words (maximal runs of word bytes, as the
 * keyword automaton's whole-word test defines them, ASCII-case-folded) and, per word, the rows holding
 * it. A keyword made of word bytes only can occur only inside one word, so the rows where it occurs
 * (anywhere, or as a whole word) are exactly the rows of the words containing it (or equal to it): the
 * keyword automaton answers such keywords from here without scanning the text. Columnar: a few int arrays;
 * the build gives up (null) when the index would take more bytes than the column's text, which the
 * resident estimate counts for it.
 */
final class WordIndex {
  private final byte[] data;
  private final int[] wordStart;
  private final int[] wordLength;
  private final int[] table;
  private final int[] postingStart;
  private final int[] postings;
  private final int words;

  private WordIndex(byte[] data, int[] wordStart, int[] wordLength, int[] table, int[] postingStart, int[] postings,
      int words) {
    this.data = data;
    this.wordStart = wordStart;
    this.wordLength = wordLength;
    this.table = table;
    this.postingStart = postingStart;
    this.postings = postings;
    this.words = words;
  }

  /** Per byte: its ASCII-folded value, or -1 for a byte that is not a word byte. */
  private static final int[] WORD_FOLD = new int[256];

  static {
    for (int c = 0; c < 256; c++) {
      boolean word = c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
      WORD_FOLD[c] = !word ? -1 : c >= 'A' && c <= 'Z' ? c + 32 : c;
    }
  }

  /** Letters, digits, '_' and any byte of a multi-byte UTF-8 character count as word characters. */
  static boolean isWordByte(byte b) {
    return WORD_FOLD[b & 0xff] >= 0;
  }

  private static int fold(byte b) {
    return b >= 'A' && b <= 'Z' ? b + 32 : b & 0xff;
  }

  /** The index of {@code text}, or null if it would take more bytes than the text itself. */
  static WordIndex of(TextColumn text) {
    byte[] data = text.data;
    int[] offsets = text.offsets;
    int rows = text.rows();
    long budget = data.length + 4096L;
    int[] wordStart = new int[256];
    int[] wordLength = new int[256];
    int[] lastRow = new int[256];
    int[] count = new int[256];
    int[] table = new int[512];
    int words = 0;
    // Each row's distinct word ids, in row order: the postings, once grouped by word.
    int[] sequence = new int[Math.max(16, data.length / 8)];
    int[] rowEnd = new int[rows];
    int total = 0;
    for (int row = 0; row < rows; row++) {
      int end = offsets[row + 1];
      if (!text.isNull(row)) {
        int j = offsets[row];
        while (j < end) {
          int f = WORD_FOLD[data[j] & 0xff];
          if (f < 0) {
            j++;
            continue;
          }
          int s = j;
          int h = 0;
          while (f >= 0) {
            h = 31 * h + f;
            if (++j == end) {
              break;
            }
            f = WORD_FOLD[data[j] & 0xff];
          }
          int id = find(data, wordStart, wordLength, table, s, j - s, h);
          if (id < 0) {
            if (words == wordStart.length) {
              wordStart = Arrays.copyOf(wordStart, words * 2);
              wordLength = Arrays.copyOf(wordLength, words * 2);
              lastRow = Arrays.copyOf(lastRow, words * 2);
              count = Arrays.copyOf(count, words * 2);
            }
            id = words++;
            wordStart[id] = s;
            wordLength[id] = j - s;
            lastRow[id] = -1;
            if (words * 2 > table.length) {
              table = rehash(data, wordStart, wordLength, words, table.length * 2);
            } else {
              insert(table, id, h);
            }
          }
          if (lastRow[id] != row) {
            lastRow[id] = row;
            count[id]++;
            if (total == sequence.length) {
              sequence = Arrays.copyOf(sequence, total * 2);
            }
            sequence[total++] = id;
          }
        }
      }
      rowEnd[row] = total;
      if (4L * total + 16L * words + 4L * table.length > budget) {
        return null;
      }
    }
    int[] postingStart = new int[words + 1];
    for (int w = 0; w < words; w++) {
      postingStart[w + 1] = postingStart[w] + count[w];
    }
    int[] fill = Arrays.copyOf(postingStart, words);
    int[] postings = new int[total];
    int from = 0;
    for (int row = 0; row < rows; row++) {
      for (int k = from; k < rowEnd[row]; k++) {
        postings[fill[sequence[k]]++] = row;
      }
      from = rowEnd[row];
    }
    return new WordIndex(data, Arrays.copyOf(wordStart, words), Arrays.copyOf(wordLength, words), table, postingStart,
        postings, words);
  }

  private static int hash(byte[] data, int from, int length) {
    int h = 0;
    for (int i = from; i < from + length; i++) {
      h = 31 * h + fold(data[i]);
    }
    return h;
  }

  private static int slot(int h, int size) {
    return (h * 0x9E3779B1 >>> 7) & (size - 1);
  }

  private static void insert(int[] table, int id, int h) {
    int i = slot(h, table.length);
    while (table[i] != 0) {
      i = (i + 1) & (table.length - 1);
    }
    table[i] = id + 1;
  }

  private static int[] rehash(byte[] data, int[] wordStart, int[] wordLength, int words, int size) {
    int[] table = new int[size];
    for (int id = 0; id < words; id++) {
      insert(table, id, hash(data, wordStart[id], wordLength[id]));
    }
    return table;
  }

  /** The id of the word at {@code data[from, from + length)} (folded), or -1. */
  private static int find(byte[] keyData, int[] wordStart, int[] wordLength, int[] table, int from, int length, int h) {
    int i = slot(h, table.length);
    while (table[i] != 0) {
      int id = table[i] - 1;
      if (wordLength[id] == length && foldedEquals(keyData, wordStart[id], keyData, from, length)) {
        return id;
      }
      i = (i + 1) & (table.length - 1);
    }
    return -1;
  }

  private static boolean foldedEquals(byte[] a, int aFrom, byte[] b, int bFrom, int length) {
    for (int k = 0; k < length; k++) {
      if (fold(a[aFrom + k]) != fold(b[bFrom + k])) {
        return false;
      }
    }
    return true;
  }

  /**
   * Sets in {@code rows} (a bitmap) every row where {@code keyword} (word bytes only, compared with ASCII
   * case folded) occurs: as a whole word, or anywhere.
   */
  void rowsWith(byte[] keyword, boolean wholeWord, long[] rows) {
    if (wholeWord) {
      int i = slot(hash(keyword, 0, keyword.length), table.length);
      while (table[i] != 0) {
        int id = table[i] - 1;
        if (wordLength[id] == keyword.length && foldedEquals(data, wordStart[id], keyword, 0, keyword.length)) {
          addRows(id, rows);
          return;
        }
        i = (i + 1) & (table.length - 1);
      }
      return;
    }
    for (int id = 0; id < words; id++) {
      if (contains(wordStart[id], wordLength[id], keyword)) {
        addRows(id, rows);
      }
    }
  }

  private boolean contains(int from, int length, byte[] keyword) {
    int first = fold(keyword[0]);
    for (int s = from; s <= from + length - keyword.length; s++) {
      if (fold(data[s]) == first && foldedEquals(data, s + 1, keyword, 1, keyword.length - 1)) {
        return true;
      }
    }
    return false;
  }

  private void addRows(int id, long[] rows) {
    for (int p = postingStart[id]; p < postingStart[id + 1]; p++) {
      int row = postings[p];
      rows[row >>> 6] |= 1L << row;
    }
  }

  /** True if every byte of {@code keyword} is a word byte (and it is not empty). */
  static boolean isWord(byte[] keyword) {
    if (keyword.length == 0) {
      return false;
    }
    for (byte b : keyword) {
      if (!isWordByte(b)) {
        return false;
      }
    }
    return true;
  }

  /** Bytes held besides the column's text. */
  long bytes() {
    return 4L * (wordStart.length + wordLength.length + table.length + postingStart.length + postings.length);
  }
}
