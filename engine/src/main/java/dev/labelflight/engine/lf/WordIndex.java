package dev.labelflight.engine.lf;

import dev.labelflight.engine.cancel.CancelToken;
import dev.labelflight.engine.lf.unicode.CaseFolding;
import dev.labelflight.engine.lf.unicode.Utf8;
import dev.labelflight.engine.lf.unicode.WordCharacters;
import java.util.Arrays;

/**
 * An inverted index over one kept text column: its distinct words (maximal runs of word characters, as
 * keyword LFs' whole-word test defines them: {@link WordCharacters}), case-folded ({@link CaseFolding}), and
 * per word the rows holding it. A keyword made of word characters only can occur only inside one word, so
 * the rows where it occurs (anywhere, or as a whole word) are exactly the rows of the words containing it
 * (or equal to it): the keyword automaton answers such keywords from here without scanning the text.
 * Columnar: a few int arrays and the folded words' bytes; the build gives up (null) when the index would
 * take more bytes than the column's text, which the resident estimate counts for it.
 */
final class WordIndex {
  /** The distinct words' folded UTF-8, one after another. */
  private final byte[] vocabulary;
  private final int[] wordStart;
  private final int[] wordLength;
  private final int[] table;
  private final int[] postingStart;
  private final int[] postings;
  private final int words;

  private WordIndex(byte[] vocabulary, int[] wordStart, int[] wordLength, int[] table, int[] postingStart,
      int[] postings, int words) {
    this.vocabulary = vocabulary;
    this.wordStart = wordStart;
    this.wordLength = wordLength;
    this.table = table;
    this.postingStart = postingStart;
    this.postings = postings;
    this.words = words;
  }

  /** Per ASCII byte: its folded value if it is a word character, else -1. */
  private static final int[] ASCII_WORD_FOLD = new int[128];

  static {
    for (int c = 0; c < 128; c++) {
      ASCII_WORD_FOLD[c] = !WordCharacters.isWord(c) ? -1 : c >= 'A' && c <= 'Z' ? c + 32 : c;
    }
  }

  /** The growing parts of an index while it is built. */
  private static final class Builder {
    byte[] vocabulary = new byte[4096];
    int vocabularyLength;
    int[] wordStart = new int[256];
    int[] wordLength = new int[256];
    int[] lastRow = new int[256];
    int[] count = new int[256];
    int[] table = new int[512];
    int words;
    byte[] scratch = new byte[64];

    /** The id of the folded word {@code key[from, from + length)} with hash {@code h}, added if new. */
    int intern(byte[] key, int from, int length, int h, boolean keyFolded) {
      int i = slot(h, table.length);
      while (table[i] != 0) {
        int id = table[i] - 1;
        if (wordLength[id] == length && equalsFolded(vocabulary, wordStart[id], key, from, length, keyFolded)) {
          return id;
        }
        i = (i + 1) & (table.length - 1);
      }
      if (words == wordStart.length) {
        wordStart = Arrays.copyOf(wordStart, words * 2);
        wordLength = Arrays.copyOf(wordLength, words * 2);
        lastRow = Arrays.copyOf(lastRow, words * 2);
        count = Arrays.copyOf(count, words * 2);
      }
      if (vocabularyLength + length > vocabulary.length) {
        vocabulary = Arrays.copyOf(vocabulary, Math.max(vocabulary.length * 2, vocabularyLength + length));
      }
      for (int k = 0; k < length; k++) {
        byte b = key[from + k];
        vocabulary[vocabularyLength + k] = keyFolded || b < 'A' || b > 'Z' ? b : (byte) (b + 32);
      }
      int id = words++;
      wordStart[id] = vocabularyLength;
      wordLength[id] = length;
      lastRow[id] = -1;
      vocabularyLength += length;
      if (words * 2 > table.length) {
        table = rehash(vocabulary, wordStart, wordLength, words, table.length * 2);
      } else {
        table[i] = id + 1;
      }
      return id;
    }

    long bytes() {
      return vocabularyLength + 16L * words + 4L * table.length;
    }
  }

  /** The index of {@code text}, or null if it would take more bytes than the text itself. */
  static WordIndex of(TextColumn text) {
    return of(text, () -> { });
  }

  /** As {@link #of(TextColumn)}, calling {@code pause} every few thousand rows (a builder yielding to jobs). */
  static WordIndex of(TextColumn text, Runnable pause) {
    byte[] data = text.data;
    int[] offsets = text.offsets;
    int rows = text.rows();
    long budget = data.length + 4096L;
    Builder b = new Builder();
    // Each row's distinct word ids, in row order: the postings, once grouped by word.
    int[] sequence = new int[Math.max(16, data.length / 8)];
    int[] rowEnd = new int[rows];
    int total = 0;
    for (int row = 0; row < rows; row++) {
      if ((row & 1023) == 0) {
        CancelToken.check();
        if ((row & 4095) == 0) {
          pause.run();
        }
      }
      int end = offsets[row + 1];
      if (!text.isNull(row)) {
        int j = offsets[row];
        while (j < end) {
          // Skip to the next word character.
          byte first = data[j];
          if (first >= 0) {
            if (ASCII_WORD_FOLD[first] < 0) {
              j++;
              continue;
            }
          } else {
            int n = Utf8.advance(data, j, end);
            if (n == 1 || !WordCharacters.isWord(Utf8.decode(data, j, end))) {
              j += n;
              continue;
            }
          }
          // The word: ASCII ones are hashed folded in place, others folded into the scratch first.
          int s = j;
          int h = 0;
          boolean ascii = true;
          while (j < end) {
            byte c = data[j];
            if (c >= 0) {
              int f = ASCII_WORD_FOLD[c];
              if (f < 0) {
                break;
              }
              h = 31 * h + f;
              j++;
            } else {
              int n = Utf8.advance(data, j, end);
              if (n == 1 || !WordCharacters.isWord(Utf8.decode(data, j, end))) {
                break;
              }
              ascii = false;
              j += n;
            }
          }
          int id;
          if (ascii) {
            id = b.intern(data, s, j - s, h, false);
          } else {
            if (b.scratch.length < j - s) {
              b.scratch = new byte[Math.max(j - s, 2 * b.scratch.length)];
            }
            int length = CaseFolding.foldUtf8(data, s, j, b.scratch, null);
            id = b.intern(b.scratch, 0, length, hash(b.scratch, 0, length), true);
          }
          if (b.lastRow[id] != row) {
            b.lastRow[id] = row;
            b.count[id]++;
            if (total == sequence.length) {
              sequence = Arrays.copyOf(sequence, total * 2);
            }
            sequence[total++] = id;
          }
        }
      }
      rowEnd[row] = total;
      if (4L * total + b.bytes() > budget) {
        return null;
      }
    }
    int words = b.words;
    int[] postingStart = new int[words + 1];
    for (int w = 0; w < words; w++) {
      postingStart[w + 1] = postingStart[w] + b.count[w];
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
    return new WordIndex(Arrays.copyOf(b.vocabulary, b.vocabularyLength), Arrays.copyOf(b.wordStart, words),
        Arrays.copyOf(b.wordLength, words), b.table, postingStart, postings, words);
  }

  /** The hash of folded bytes (the build hashes ASCII words folding as it reads them: the same values). */
  private static int hash(byte[] data, int from, int length) {
    int h = 0;
    for (int i = from; i < from + length; i++) {
      h = 31 * h + (data[i] & 0xff);
    }
    return h;
  }

  private static int slot(int h, int size) {
    return (h * 0x9E3779B1 >>> 7) & (size - 1);
  }

  private static int[] rehash(byte[] vocabulary, int[] wordStart, int[] wordLength, int words, int size) {
    int[] table = new int[size];
    for (int id = 0; id < words; id++) {
      int i = slot(hash(vocabulary, wordStart[id], wordLength[id]), size);
      while (table[i] != 0) {
        i = (i + 1) & (size - 1);
      }
      table[i] = id + 1;
    }
    return table;
  }

  /** Whether folded {@code a[aFrom..]} equals {@code b[bFrom..]}, which is folded too or ASCII to fold now. */
  private static boolean equalsFolded(byte[] a, int aFrom, byte[] b, int bFrom, int length, boolean bFolded) {
    for (int k = 0; k < length; k++) {
      byte y = b[bFrom + k];
      if (!bFolded && y >= 'A' && y <= 'Z') {
        y += 32;
      }
      if (a[aFrom + k] != y) {
        return false;
      }
    }
    return true;
  }

  /**
   * Sets in {@code rows} (a bitmap) every row where {@code keyword} (folded word characters only) occurs: as
   * a whole word, or anywhere.
   */
  void rowsWith(byte[] keyword, boolean wholeWord, long[] rows) {
    if (wholeWord) {
      int i = slot(hash(keyword, 0, keyword.length), table.length);
      while (table[i] != 0) {
        int id = table[i] - 1;
        if (wordLength[id] == keyword.length
            && Arrays.equals(vocabulary, wordStart[id], wordStart[id] + keyword.length, keyword, 0, keyword.length)) {
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
    byte first = keyword[0];
    for (int s = from; s <= from + length - keyword.length; s++) {
      if (vocabulary[s] == first && Arrays.equals(vocabulary, s + 1, s + keyword.length, keyword, 1, keyword.length)) {
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

  /** Bytes held besides the column's text. */
  long bytes() {
    return vocabulary.length + 4L * (wordStart.length + wordLength.length + table.length + postingStart.length
        + postings.length);
  }
}
