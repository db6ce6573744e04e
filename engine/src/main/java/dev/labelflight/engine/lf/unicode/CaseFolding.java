package dev.labelflight.engine.lf.unicode;

import java.util.Arrays;

/**
 * Case-insensitive matching for every LF: two code points match when they are in the same <em>orbit</em>,
 * the classes that Unicode's simple case mappings (lower, upper and title case, one code point each)
 * connect: {k, K, K (Kelvin sign)}, {s, S, ſ}, {σ, ς, Σ}, {i, I, İ, ı}, {ǆ, ǅ, Ǆ}, {ß, ẞ}. This is what
 * Python's {@code re.IGNORECASE} does for str patterns; multi-character foldings (ß and "ss", ﬁ and "fi")
 * are not applied, there or here. U+0345 (a combining mark whose upper case is the letter Ι) keeps its own
 * orbit, so that folding never turns a word character into a non-word one. Each orbit has a canonical
 * member ({@link #fold}): its ASCII lower-case letter if it has one, else its lowest code point; so
 * matching folded text against folded keywords is case-insensitive matching.
 */
public final class CaseFolding {
  private CaseFolding() {}

  private static final int PAGE_BITS = 8;
  private static final int PAGE = 1 << PAGE_BITS;

  /** The canonical member of {@code cp}'s orbit ({@code cp} itself when it has no other case). */
  public static int fold(int cp) {
    if (cp < 0x80) {
      return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
    }
    int[] page = Tables.CANONICAL[cp >>> PAGE_BITS];
    return page == null ? cp : page[cp & (PAGE - 1)];
  }

  /** Whether {@code cp} matches nothing but itself case-insensitively. */
  public static boolean isCaseless(int cp) {
    return orbit(cp).length == 1;
  }

  /** Every member of {@code cp}'s orbit, sorted (just {@code cp} when it has no other case). */
  public static int[] orbit(int cp) {
    if (cp < 0 || cp > Character.MAX_CODE_POINT) {
      return new int[] {cp};
    }
    int canonical = fold(cp);
    int i = Arrays.binarySearch(Tables.ORBIT_KEYS, canonical);
    return i < 0 ? new int[] {cp} : Tables.ORBITS[i].clone();
  }

  /**
   * {@code ranges} (sorted inclusive code point ranges) with every orbit member of each code point in them
   * added, as unsorted pairs the caller normalizes.
   */
  public static int[] closeRanges(int[] ranges) {
    int[] extra = new int[16];
    int n = 0;
    for (int[] orbit : Tables.ORBITS) {
      boolean touched = false;
      for (int member : orbit) {
        if (contains(ranges, member)) {
          touched = true;
          break;
        }
      }
      if (touched) {
        for (int member : orbit) {
          if (n + 2 > extra.length) {
            extra = Arrays.copyOf(extra, extra.length * 2);
          }
          extra[n++] = member;
          extra[n++] = member;
        }
      }
    }
    int[] out = Arrays.copyOf(ranges, ranges.length + n);
    System.arraycopy(extra, 0, out, ranges.length, n);
    return out;
  }

  private static boolean contains(int[] ranges, int cp) {
    int lo = 0;
    int hi = ranges.length / 2 - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (cp < ranges[2 * mid]) {
        hi = mid - 1;
      } else if (cp > ranges[2 * mid + 1]) {
        lo = mid + 1;
      } else {
        return true;
      }
    }
    return false;
  }

  /** {@code text} with every code point folded, as UTF-8. */
  public static byte[] foldToUtf8(String text) {
    StringBuilder out = new StringBuilder(text.length());
    text.codePoints().forEach(c -> out.appendCodePoint(fold(c)));
    return out.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  /**
   * Folds UTF-8 {@code data[from, to)} into {@code out} (at least {@link #maxFoldedLength} bytes); where
   * {@code origin} is not null, {@code origin[k]} is the offset in {@code data} of the code point that gave
   * {@code out[k]}, and {@code origin[length] = to}. Malformed bytes are copied as they are. Returns the
   * folded length.
   */
  public static int foldUtf8(byte[] data, int from, int to, byte[] out, int[] origin) {
    int k = 0;
    int i = from;
    while (i < to) {
      byte b = data[i];
      if (b >= 0) {
        out[k] = b >= 'A' && b <= 'Z' ? (byte) (b + 32) : b;
        if (origin != null) {
          origin[k] = i;
        }
        k++;
        i++;
        continue;
      }
      int n = Utf8.advance(data, i, to);
      int cp = n == 1 ? -1 : Utf8.decode(data, i, to);
      if (cp < 0 || cp == Utf8.REPLACEMENT) {
        // Malformed (or U+FFFD itself, which has no other case): copied as it is, never longer.
        for (int m = 0; m < Math.max(n, 1); m++) {
          out[k] = data[i];
          if (origin != null) {
            origin[k] = i - m;
          }
          k++;
          i++;
        }
        continue;
      }
      int written = Utf8.encode(fold(cp), out, k);
      if (origin != null) {
        for (int w = 0; w < written; w++) {
          origin[k + w] = i;
        }
      }
      k += written;
      i += n;
    }
    if (origin != null) {
      origin[k] = to;
    }
    return k;
  }

  /**
   * An upper bound of the folded length of {@code length} bytes of UTF-8: {@code length}, as the canonical
   * member is an orbit's lowest code point or its ASCII letter, and UTF-8 never encodes a lower code point
   * in more bytes.
   */
  public static int maxFoldedLength(int length) {
    return length;
  }

  /** Built on first use: one pass over all code points (a few tens of ms). */
  private static final class Tables {
    static final int[][] CANONICAL;
    /** The canonical member of each orbit of more than one code point, sorted; {@link #ORBITS} in the same order. */
    static final int[] ORBIT_KEYS;
    static final int[][] ORBITS;

    static {
      // Unicode has case mappings in planes 0 and 1 only (the others are ideographs, tags, private use).
      int size = 0x20000;
      int[] parent = new int[size];
      for (int cp = 0; cp < size; cp++) {
        parent[cp] = cp;
      }
      int[] cased = new int[8192];
      int n = 0;
      for (int cp = 0; cp < size; cp++) {
        if (cp == 0x0345 || !Character.isDefined(cp)) {
          continue;
        }
        int lower = Character.toLowerCase(cp);
        int upper = Character.toUpperCase(cp);
        int title = Character.toTitleCase(cp);
        if (lower == cp && upper == cp && title == cp) {
          continue;
        }
        if (n + 4 > cased.length) {
          cased = Arrays.copyOf(cased, cased.length * 2);
        }
        cased[n++] = cp;
        for (int other : new int[] {lower, upper, title}) {
          if (other != cp && other != 0x0345) {
            union(parent, cp, other);
            cased[n++] = other;
          }
        }
      }
      cased = Arrays.stream(cased, 0, n).sorted().distinct().toArray();
      n = cased.length;
      // Each orbit member maps to another one or is mapped to: "cased" holds them all. Group it by root.
      long[] byRoot = new long[n];
      for (int i = 0; i < n; i++) {
        byRoot[i] = (long) find(parent, cased[i]) << 32 | cased[i];
      }
      Arrays.sort(byRoot);
      int[][] canonical = new int[(Character.MAX_CODE_POINT + 1) >>> PAGE_BITS][];
      java.util.List<int[]> orbits = new java.util.ArrayList<>();
      for (int start = 0; start < n; ) {
        int root = (int) (byRoot[start] >>> 32);
        int end = start;
        while (end < n && (int) (byRoot[end] >>> 32) == root) {
          end++;
        }
        int[] orbit = new int[end - start];
        for (int i = start; i < end; i++) {
          orbit[i - start] = (int) byRoot[i]; // ascending within a root
        }
        start = end;
        int canon = orbit[0];
        for (int m : orbit) {
          if (m >= 'a' && m <= 'z') {
            canon = m;
          }
        }
        for (int m : orbit) {
          int[] page = canonical[m >>> PAGE_BITS];
          if (page == null) {
            page = new int[PAGE];
            int base = m & ~(PAGE - 1);
            for (int i = 0; i < PAGE; i++) {
              page[i] = base + i;
            }
            canonical[m >>> PAGE_BITS] = page;
          }
          page[m & (PAGE - 1)] = canon;
        }
        orbits.add(orbit);
      }
      orbits.sort(java.util.Comparator.comparingInt(o -> canonicalOf(o)));
      ORBIT_KEYS = orbits.stream().mapToInt(Tables::canonicalOf).toArray();
      ORBITS = orbits.toArray(int[][]::new);
      CANONICAL = canonical;
    }

    private static int canonicalOf(int[] orbit) {
      for (int m : orbit) {
        if (m >= 'a' && m <= 'z') {
          return m;
        }
      }
      return orbit[0];
    }

    private static int find(int[] parent, int x) {
      while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
      }
      return x;
    }

    private static void union(int[] parent, int a, int b) {
      int ra = find(parent, a);
      int rb = find(parent, b);
      if (ra != rb) {
        parent[Math.max(ra, rb)] = Math.min(ra, rb);
      }
    }
  }
}
