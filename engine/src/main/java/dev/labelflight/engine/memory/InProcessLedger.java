package dev.labelflight.engine.memory;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/** A {@link MemoryLedger} in this process's memory: nothing blocks, nothing is shared. Thread-safe. */
final class InProcessLedger implements MemoryLedger {
  private final long maxBytes;
  private final Map<Long, Holding> holdings = new HashMap<>();
  private long reserved;

  InProcessLedger(long maxBytes) {
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("memory pool must be positive: " + maxBytes);
    }
    this.maxBytes = maxBytes;
  }

  @Override
  public long maxBytes() {
    return maxBytes;
  }

  @Override
  public synchronized long reservedBytes() {
    return reserved;
  }

  @Override
  public synchronized boolean tryGrow(long id, String holder, long bytes) {
    Holding before = holdings.get(id);
    long growth = bytes - (before == null ? 0 : before.bytes());
    if (reserved + growth > maxBytes) {
      return false;
    }
    set(id, holder, bytes, growth);
    return true;
  }

  @Override
  public synchronized void shrink(long id, String holder, long bytes) {
    Holding before = holdings.get(id);
    set(id, holder, bytes, bytes - (before == null ? 0 : before.bytes()));
  }

  private void set(long id, String holder, long bytes, long growth) {
    reserved += growth;
    if (bytes == 0) {
      holdings.remove(id);
    } else {
      holdings.put(id, new Holding(id, holder, bytes));
    }
  }

  @Override
  public synchronized Map<String, Long> bytesByHolder() {
    Map<String, Long> out = new LinkedHashMap<>();
    holdings.values().forEach(h -> out.merge(h.holder(), h.bytes(), Long::sum));
    return out;
  }
}
