package dev.labelflight.engine.lf.regex;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The state cache both lazy DFAs ({@link LazyDfa} over bytes, {@link CodePointDfa} over code points) build
 * their states in: each state's key (its instruction set plus before-flags, as the DFA defines them) and its
 * row of {@link #table}, {@code stride} entries holding the next state's row offset or {@link #UNKNOWN}. A
 * state is named by its row offset, so the scan loops index the table without a multiplication. The DFA
 * decides when the cache is full and clears it ({@link #clear}); its fixed states go in first after each
 * clear. Not thread-safe.
 */
final class DfaStates {
  /** A transition not computed yet. */
  static final int UNKNOWN = -1;
  /** Bound on the keys' total size, so that large programs do not blow the cache's memory either. */
  private static final int MAX_KEY_INTS = 1 << 20;

  final int stride;
  private final int maxRows;
  /** Read directly by the scan loops; replaced when it grows, so they reload it after {@link #intern}. */
  int[] table;
  private final List<int[]> keys = new ArrayList<>();
  private final Map<Key, Integer> ids = new HashMap<>();
  private int keyInts;

  DfaStates(int stride, int maxRows) {
    this.stride = stride;
    this.maxRows = maxRows;
    this.table = new int[Math.min(maxRows, 64) * stride];
  }

  /** Forgets every state. */
  void clear() {
    keys.clear();
    ids.clear();
    keyInts = 0;
    Arrays.fill(table, UNKNOWN);
  }

  /** Adds a keyless state whose every transition is {@code target} (dead, match); returns its offset. */
  int addSink(int target) {
    int offset = keys.size() * stride;
    keys.add(null);
    Arrays.fill(table, offset, offset + stride, target);
    return offset;
  }

  /** The offset of the state {@code key} names, added if new. */
  int intern(int[] key) {
    Key k = new Key(key);
    Integer known = ids.get(k);
    if (known != null) {
      return known;
    }
    int offset = keys.size() * stride;
    if (offset + stride > table.length) {
      int old = table.length;
      table = Arrays.copyOf(table, Math.max(Math.min(old * 2, maxRows * stride), offset + stride));
      Arrays.fill(table, old, table.length, UNKNOWN);
    }
    keys.add(key);
    keyInts += key.length;
    ids.put(k, offset);
    return offset;
  }

  /** The offset of the state {@code key} names, or null if it is not cached. */
  Integer find(int[] key) {
    return ids.get(new Key(key));
  }

  /** The key of the state at {@code offset}. */
  int[] key(int offset) {
    return keys.get(offset / stride);
  }

  /** States cached, keyless ones included. */
  int size() {
    return keys.size();
  }

  /** Whether adding a state of key length {@code keyLength} would pass {@code maxStates} or the key bound. */
  boolean full(int maxStates, int keyLength) {
    return keys.size() >= maxStates || keyInts + keyLength > MAX_KEY_INTS;
  }

  /**
   * A state key: the first {@code found} instructions of {@code set}, sorted and without repeats, then
   * {@code flags}.
   */
  static int[] key(int[] set, int found, int flags) {
    int[] next = Arrays.copyOf(set, found + 1);
    Arrays.sort(next, 0, found);
    int unique = 0;
    for (int i = 0; i < found; i++) {
      if (unique == 0 || next[unique - 1] != next[i]) {
        next[unique++] = next[i];
      }
    }
    next = Arrays.copyOf(next, unique + 1);
    next[unique] = flags;
    return next;
  }

  /** A key as a map key. */
  private record Key(int[] key) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Key other && Arrays.equals(key, other.key);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(key);
    }
  }
}
