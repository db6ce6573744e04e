package dev.labelflight.cluster.memory;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.labelflight.engine.memory.Reservation;

/**
 * A member in its own JVM that holds bytes of another node's pool until it is killed: joins the
 * loopback cluster {@code args[0]} through port {@code args[1]}, opens its own pool {@code args[2]} of
 * {@code args[4]} bytes and holds half of it, attaches to pool {@code args[3]} and holds {@code args[4]}
 * bytes of it, prints {@code HOLDING} and waits on stdin.
 */
public final class PoolHolderMain {
  private PoolHolderMain() {}

  public static void main(String[] args) throws Exception {
    String clusterName = args[0];
    int seedPort = Integer.parseInt(args[1]);
    String ownNode = args[2];
    String otherNode = args[3];
    long bytes = Long.parseLong(args[4]);
    HazelcastInstance member = Hazelcast.newHazelcastInstance(
        LoopbackMembers.config(clusterName, LoopbackMembers.freePort(), seedPort));
    HazelcastMemoryPool own = HazelcastMemoryPool.create(member, ownNode, bytes);
    Reservation mine = own.newReservation("child's own work");
    HazelcastMemoryPool other = HazelcastMemoryPool.attach(member, otherNode);
    Reservation borrowed = other.newReservation("child borrowing");
    if (!mine.trySetBytes(bytes / 2) || !borrowed.trySetBytes(bytes)) {
      System.out.println("REFUSED");
      System.exit(2);
    }
    System.out.println("HOLDING");
    System.out.flush();
    System.in.read(); // until killed (or stdin closes)
  }
}
