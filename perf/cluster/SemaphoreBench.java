import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.cp.ISemaphore;
import dev.labelflight.cluster.LoopbackHazelcastConfig;
import java.util.Arrays;
import java.util.List;

/**
 * Latency of the budget's CP semaphore calls (tryAcquire + release of one chunk's permits), as every
 * chunk task makes them: on a member that holds the semaphore's partition and on one that does not,
 * in a 2-member loopback cluster. Usage: perf/cluster/semaphore.sh [CALLS]
 */
public class SemaphoreBench {
  public static void main(String[] args) {
    int calls = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    String name = "lf-sem-bench-" + ProcessHandle.current().pid();
    List<String> members = List.of("127.0.0.1:" + 5901, "127.0.0.1:" + 5902);
    HazelcastInstance a = Hazelcast.newHazelcastInstance(LoopbackHazelcastConfig.build(name, 5901, members));
    HazelcastInstance b = Hazelcast.newHazelcastInstance(LoopbackHazelcastConfig.build(name, 5902, members));
    try {
      ISemaphore onA = a.getCPSubsystem().getSemaphore("labelflight.budget.bench");
      onA.init(1 << 20);
      ISemaphore onB = b.getCPSubsystem().getSemaphore("labelflight.budget.bench");
      for (ISemaphore s : List.of(onA, onB)) {
        measure(s, calls / 10); // warm-up
      }
      System.out.printf("| member | calls | p50 us (tryAcquire+release) | p99 us | calls/s (one thread) |%n|---|---|---|---|---|%n");
      report("A", onA, calls);
      report("B", onB, calls);
      System.out.println(dev.labelflight.perf.MemoryContract.thisJvm("this JVM (two Hazelcast members)").measure()
          .summary());
    } finally {
      b.shutdown();
      a.shutdown();
    }
  }

  private static void report(String member, ISemaphore s, int calls) {
    long start = System.nanoTime();
    long[] nanos = measure(s, calls);
    double seconds = (System.nanoTime() - start) / 1e9;
    Arrays.sort(nanos);
    System.out.printf("| %s | %d | %.1f | %.1f | %,.0f |%n", member, calls, nanos[calls / 2] / 1e3,
        nanos[(int) (calls * 0.99)] / 1e3, calls / seconds);
  }

  private static long[] measure(ISemaphore s, int calls) {
    long[] out = new long[calls];
    for (int i = 0; i < calls; i++) {
      long t = System.nanoTime();
      if (!s.tryAcquire(512)) {
        throw new IllegalStateException("no permits");
      }
      s.release(512);
      out[i] = System.nanoTime() - t;
    }
    return out;
  }
}
