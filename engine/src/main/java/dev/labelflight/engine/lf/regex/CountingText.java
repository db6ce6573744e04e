package dev.labelflight.engine.lf.regex;

import dev.labelflight.engine.lf.unicode.Utf8;
import java.nio.charset.StandardCharsets;

/**
 * A row's text as the {@link CharSequence} RE2J matches, with the hooks RE2J lacks: each character RE2J
 * reads is charged to a {@link StepBudget} at {@code weight} steps (the pattern's program size, an upper
 * bound of the threads RE2J moves over it), reported every {@link StepBudget#BATCH} steps, when the budget
 * also checks for cancellation. ASCII rows are read in place; other rows are decoded into a buffer kept
 * for the next row, so no row makes an object. Not thread-safe: one per chunk and LF.
 */
public final class CountingText implements CharSequence {
  private final StepBudget budget;
  private final long weight;
  private byte[] bytes;
  private int start;
  private char[] chars = new char[256];
  private boolean decoded;
  private int length;
  private long unreported;

  public CountingText(StepBudget budget, long weight) {
    this.budget = budget;
    this.weight = Math.max(1, weight);
  }

  /** This sequence over UTF-8 {@code data[from, to)} ({@code ascii}: it holds no byte above 0x7F). */
  public CountingText at(byte[] data, int from, int to, boolean ascii) {
    if (ascii) {
      bytes = data;
      start = from;
      length = to - from;
      decoded = false;
      return this;
    }
    if (chars.length < to - from) {
      chars = new char[Math.max(to - from, 2 * chars.length)];
    }
    int n = 0;
    for (int i = from; i < to; ) {
      int step = Utf8.advance(data, i, to);
      int cp = step == 1 && data[i] < 0 ? Utf8.REPLACEMENT : Utf8.decode(data, i, to);
      n += Character.toChars(cp, chars, n);
      i += step;
    }
    length = n;
    decoded = true;
    return this;
  }

  @Override
  public int length() {
    return length;
  }

  @Override
  public char charAt(int index) {
    // Reported every BATCH steps: every read when the program is large, so that a slow RE2J is seen soon.
    unreported += weight;
    if (unreported >= StepBudget.BATCH) {
      long steps = unreported;
      unreported = 0;
      budget.spend(steps);
    }
    return decoded ? chars[index] : (char) bytes[start + index];
  }

  @Override
  public CharSequence subSequence(int from, int to) {
    return toString().substring(from, to);
  }

  @Override
  public String toString() {
    return decoded ? new String(chars, 0, length) : new String(bytes, start, length, StandardCharsets.US_ASCII);
  }
}
