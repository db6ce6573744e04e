import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.labelflight.cluster.LoopbackHazelcastConfig;
import dev.labelflight.cluster.memory.HazelcastMemoryPool;
import dev.labelflight.engine.memory.MemoryPool;
import dev.labelflight.engine.memory.Reservation;
import java.util.Arrays;
import java.util.List;

/**
 * Latency of the cluster memory pool's reservation calls as every chunk task makes them (a reservation
 * opened, grown to one chunk's estimate, closed: two entry processors on the pool's IMap entry), on the
 * pool's home member and on another member reserving from it, in a 2-member loopback cluster.
 * Usage: perf/cluster/memory-pool.sh [CALLS]
 */
public class MemoryPoolBench {
  public static void main(String[] args) {
    int calls = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    String name = "lf-pool-bench-" + ProcessHandle.current().pid();
    List<String> members = List.of("127.0.0.1:" + 5901, "127.0.0.1:" + 5902);
    HazelcastInstance a = Hazelcast.newHazelcastInstance(LoopbackHazelcastConfig.build(name, 5901, members));
    HazelcastInstance b = Hazelcast.newHazelcastInstance(LoopbackHazelcastConfig.build(name, 5902, members));
    try (HazelcastMemoryPool home = HazelcastMemoryPool.create(a, "bench", 1L << 40);
         HazelcastMemoryPool other = HazelcastMemoryPool.attach(b, "bench")) {
      for (MemoryPool p : List.of(home, other)) {
        measure(p, calls / 10); // warm-up
      }
      System.out.printf("| member | calls | p50 us (grow+close) | p99 us | calls/s (one thread) |%n|---|---|---|---|---|%n");
      report("A (home)", home, calls);
      report("B (other)", other, calls);
    } finally {
      b.shutdown();
      a.shutdown();
    }
  }

  private static void report(String member, MemoryPool pool, int calls) {
    long start = System.nanoTime();
    long[] nanos = measure(pool, calls);
    double seconds = (System.nanoTime() - start) / 1e9;
    Arrays.sort(nanos);
    System.out.printf("| %s | %d | %.1f | %.1f | %,.0f |%n", member, calls, nanos[calls / 2] / 1e3,
        nanos[(int) (calls * 0.99)] / 1e3, calls / seconds);
  }

  private static long[] measure(MemoryPool pool, int calls) {
    long[] out = new long[calls];
    for (int i = 0; i < calls; i++) {
      long t = System.nanoTime();
      try (Reservation r = pool.newReservation("bench chunk")) {
        if (!r.trySetBytes(512 << 10)) {
          throw new IllegalStateException("no room");
        }
      }
      out[i] = System.nanoTime() - t;
    }
    return out;
  }
}
