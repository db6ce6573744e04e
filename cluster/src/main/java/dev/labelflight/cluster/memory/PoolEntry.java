package dev.labelflight.cluster.memory;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The value of one node's pool in the {@link HazelcastMemoryPool#MAP} IMap (key: the node id): the pool's
 * size, the member that owns it (its home), and every reservation that holds bytes of it, each by the
 * member that opened it (member UUID), that member's reservation id, and its holder description. Changed
 * only inside entry processors ({@link PoolOps}), so a check and its write are one atomic step on the
 * partition that owns the key. {@code version} grows with every change (it starts from the creation time,
 * so a re-created entry counts on from above the old one); readers keep the newest they saw.
 */
public final class PoolEntry implements DataSerializable {
  /** One reservation's bytes. */
  public record Holding(String member, long id, String holder, long bytes) {}

  private String home;
  private long maxBytes;
  private long version;
  private List<Holding> holdings = new ArrayList<>();

  /** For Hazelcast's deserialization. */
  public PoolEntry() {}

  PoolEntry(String home, long maxBytes) {
    this.home = home;
    this.maxBytes = maxBytes;
    this.version = System.currentTimeMillis() << 20;
  }

  /** The member UUID of the node whose pool this is. */
  public String home() {
    return home;
  }

  public long maxBytes() {
    return maxBytes;
  }

  public long version() {
    return version;
  }

  public List<Holding> holdings() {
    return List.copyOf(holdings);
  }

  /** Bytes held by every holding. */
  public long reservedBytes() {
    long total = 0;
    for (Holding h : holdings) {
      total += h.bytes();
    }
    return total;
  }

  /** Bytes reservation {@code id} of {@code member} holds (0 if none). */
  long held(String member, long id) {
    int at = indexOf(member, id);
    return at < 0 ? 0 : holdings.get(at).bytes();
  }

  /** Records that reservation {@code id} of {@code member} holds {@code bytes} (0 forgets it). */
  void set(String member, long id, String holder, long bytes) {
    int at = indexOf(member, id);
    if (bytes == 0) {
      if (at >= 0) {
        holdings.remove(at);
      }
    } else if (at >= 0) {
      holdings.set(at, new Holding(member, id, holder, bytes));
    } else {
      holdings.add(new Holding(member, id, holder, bytes));
    }
    version++;
  }

  /** Forgets every holding of {@code member}; true if there was one. */
  boolean dropMember(String member) {
    boolean dropped = holdings.removeIf(h -> h.member().equals(member));
    if (dropped) {
      version++;
    }
    return dropped;
  }

  /** Forgets the holdings of {@code member} whose reservation ids carry {@code prefix} (one pool object's). */
  void dropMember(String member, long prefix) {
    if (holdings.removeIf(h -> h.member().equals(member) && (h.id() & IMapLedger.PREFIX_MASK) == prefix)) {
      version++;
    }
  }

  void rehome(String member) {
    home = member;
    version++;
  }

  private int indexOf(String member, long id) {
    for (int i = 0; i < holdings.size(); i++) {
      Holding h = holdings.get(i);
      if (h.id() == id && h.member().equals(member)) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(home);
    out.writeLong(maxBytes);
    out.writeLong(version);
    out.writeInt(holdings.size());
    for (Holding h : holdings) {
      out.writeString(h.member());
      out.writeLong(h.id());
      out.writeString(h.holder());
      out.writeLong(h.bytes());
    }
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    home = in.readString();
    maxBytes = in.readLong();
    version = in.readLong();
    int n = in.readInt();
    holdings = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      holdings.add(new Holding(in.readString(), in.readLong(), in.readString(), in.readLong()));
    }
  }
}
