package dev.labelflight.cluster.memory;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import dev.labelflight.engine.memory.MemoryLedger;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The entry processors that change a {@link PoolEntry}: each runs on the partition thread that owns the
 * pool's key, so its check and its write are atomic with respect to every other member, and Hazelcast
 * applies the same processor to the backup copy. All are {@link DataSerializable} (no Java serialization,
 * no factory to register), and every write is absolute per reservation, so a retried invocation changes
 * nothing twice.
 */
final class PoolOps {
  private PoolOps() {}

  /** What a processor did, with the pool's numbers after it. */
  public static final class Reply implements DataSerializable {
    enum Status { GRANTED, REFUSED, DONE, MISSING, TAKEN }

    Status status;
    long version;
    long maxBytes;
    long reservedBytes;
    String home;

    public Reply() {}

    static Reply of(Status status, PoolEntry entry) {
      Reply r = new Reply();
      r.status = status;
      if (entry != null) {
        r.version = entry.version();
        r.maxBytes = entry.maxBytes();
        r.reservedBytes = entry.reservedBytes();
        r.home = entry.home();
      }
      return r;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeInt(status.ordinal());
      out.writeLong(version);
      out.writeLong(maxBytes);
      out.writeLong(reservedBytes);
      out.writeString(home);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      status = Status.values()[in.readInt()];
      version = in.readLong();
      maxBytes = in.readLong();
      reservedBytes = in.readLong();
      home = in.readString();
    }
  }

  /** Creates the pool of the calling member's node; TAKEN if another member's pool has the key. */
  public static final class Open implements EntryProcessor<String, PoolEntry, Reply>, DataSerializable {
    private String member;
    private long maxBytes;

    public Open() {}

    Open(String member, long maxBytes) {
      this.member = member;
      this.maxBytes = maxBytes;
    }

    @Override
    public Reply process(Map.Entry<String, PoolEntry> entry) {
      PoolEntry pool = entry.getValue();
      if (pool == null) {
        pool = new PoolEntry(member, maxBytes);
        entry.setValue(pool);
        return Reply.of(Reply.Status.DONE, pool);
      }
      return Reply.of(pool.home().equals(member) ? Reply.Status.DONE : Reply.Status.TAKEN, pool);
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(member);
      out.writeLong(maxBytes);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      member = in.readString();
      maxBytes = in.readLong();
    }
  }

  /** A reservation's bytes: set to more than it holds if the pool's total stays within its size (GRANTED), else REFUSED. */
  public static final class Grow extends Change {
    public Grow() {}

    Grow(String member, long id, String holder, long bytes) {
      super(member, id, holder, bytes);
    }

    @Override
    public Reply process(Map.Entry<String, PoolEntry> entry) {
      PoolEntry pool = entry.getValue();
      if (pool == null) {
        return Reply.of(Reply.Status.MISSING, null);
      }
      if (pool.reservedBytes() - pool.held(member, id) + bytes > pool.maxBytes()) {
        return Reply.of(Reply.Status.REFUSED, pool);
      }
      pool.set(member, id, holder, bytes);
      entry.setValue(pool);
      return Reply.of(Reply.Status.GRANTED, pool);
    }
  }

  /** A reservation's bytes: set to at most what it holds (0 forgets it); always allowed. */
  public static final class Shrink extends Change {
    public Shrink() {}

    Shrink(String member, long id, String holder, long bytes) {
      super(member, id, holder, bytes);
    }

    @Override
    public Reply process(Map.Entry<String, PoolEntry> entry) {
      PoolEntry pool = entry.getValue();
      if (pool == null) {
        return Reply.of(Reply.Status.MISSING, null);
      }
      pool.set(member, id, holder, bytes);
      entry.setValue(pool);
      return Reply.of(Reply.Status.DONE, pool);
    }
  }

  /** Fields of {@link Grow} and {@link Shrink}. */
  abstract static class Change implements EntryProcessor<String, PoolEntry, Reply>, DataSerializable {
    String member;
    long id;
    String holder;
    long bytes;

    Change() {}

    Change(String member, long id, String holder, long bytes) {
      this.member = member;
      this.id = id;
      this.holder = holder;
      this.bytes = bytes;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(member);
      out.writeLong(id);
      out.writeString(holder);
      out.writeLong(bytes);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      member = in.readString();
      id = in.readLong();
      holder = in.readString();
      bytes = in.readLong();
    }
  }

  /**
   * Run on every entry when a member left (crash or shutdown): its holdings in every pool go, and its own
   * pool goes with it.
   */
  public static final class DropMember implements EntryProcessor<String, PoolEntry, Reply>, DataSerializable {
    private String member;

    public DropMember() {}

    DropMember(String member) {
      this.member = member;
    }

    @Override
    public Reply process(Map.Entry<String, PoolEntry> entry) {
      PoolEntry pool = entry.getValue();
      if (pool == null) {
        return null;
      }
      if (pool.home().equals(member)) {
        entry.setValue(null);
      } else if (pool.dropMember(member)) {
        entry.setValue(pool);
      }
      return null;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(member);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      member = in.readString();
    }
  }

  /**
   * Records one pool object's open reservations again, replacing whatever the entry says of them (and of
   * the member's previous UUID): for a member whose holdings were dropped while it lived (it was taken for
   * dead, then merged back). The home member re-creates its pool if it is gone.
   */
  public static final class Restore implements EntryProcessor<String, PoolEntry, Reply>, DataSerializable {
    private String member;
    private String previous;
    private long prefix;
    private long maxBytes;
    private boolean home;
    private List<MemoryLedger.Holding> holdings;

    public Restore() {}

    /** {@code holdings} carry the pool object's ids with {@code prefix} already in them. */
    Restore(String member, String previous, long prefix, long maxBytes, boolean home,
        List<MemoryLedger.Holding> holdings) {
      this.member = member;
      this.previous = previous;
      this.prefix = prefix;
      this.maxBytes = maxBytes;
      this.home = home;
      this.holdings = holdings;
    }

    @Override
    public Reply process(Map.Entry<String, PoolEntry> entry) {
      PoolEntry pool = entry.getValue();
      if (pool == null) {
        if (!home) {
          return Reply.of(Reply.Status.MISSING, null);
        }
        pool = new PoolEntry(member, maxBytes);
      } else if (home && !pool.home().equals(member)) {
        pool.rehome(member);
      }
      pool.dropMember(member, prefix);
      if (previous != null) {
        pool.dropMember(previous, prefix);
      }
      for (MemoryLedger.Holding h : holdings) {
        pool.set(member, h.id(), h.holder(), h.bytes());
      }
      entry.setValue(pool);
      return Reply.of(Reply.Status.DONE, pool);
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeString(member);
      out.writeString(previous);
      out.writeLong(prefix);
      out.writeLong(maxBytes);
      out.writeBoolean(home);
      out.writeInt(holdings.size());
      for (MemoryLedger.Holding h : holdings) {
        out.writeLong(h.id());
        out.writeString(h.holder());
        out.writeLong(h.bytes());
      }
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      member = in.readString();
      previous = in.readString();
      prefix = in.readLong();
      maxBytes = in.readLong();
      home = in.readBoolean();
      int n = in.readInt();
      holdings = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        holdings.add(new MemoryLedger.Holding(in.readLong(), in.readString(), in.readLong()));
      }
    }
  }
}
