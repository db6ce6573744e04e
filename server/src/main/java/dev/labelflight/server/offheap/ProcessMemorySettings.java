package dev.labelflight.server.offheap;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Process-wide settings that keep native memory countable, applied by {@code Main} before any Netty or NIO class
 * initializes (they are read once, at class initialization). A value given on the command line wins.
 *
 * <ul>
 *   <li>{@code io.netty.maxDirectMemory=0}: Netty allocates its direct buffers (gRPC's, Vert.x's, Arrow's pools)
 *       as JDK direct buffers, so that one limit, the JVM's {@code -XX:MaxDirectMemorySize}, counts them all
 *       together with NIO's; otherwise Netty keeps a second counter with a limit of its own.
 *   <li>{@code jdk.nio.maxCachedBufferSize=262144}: the JDK keeps, per thread and for the thread's whole life, a
 *       direct copy buffer as large as the largest heap buffer that thread ever read or wrote through a channel;
 *       with 20 worker threads reading 20 MiB chunk files that was 20 MiB more direct memory per cycle (issue
 *       16.2). Larger copies are now freed after use.
 * </ul>
 */
public final class ProcessMemorySettings {
  public static final long MAX_CACHED_NIO_BUFFER = 256 << 10;

  private ProcessMemorySettings() {}

  /** Sets each property that is not set yet; returns what was set (for the start log). */
  public static Map<String, String> apply() {
    Map<String, String> set = new LinkedHashMap<>();
    setIfAbsent("io.netty.maxDirectMemory", "0", set);
    setIfAbsent("jdk.nio.maxCachedBufferSize", String.valueOf(MAX_CACHED_NIO_BUFFER), set);
    return set;
  }

  private static void setIfAbsent(String key, String value, Map<String, String> set) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
      set.put(key, value);
    }
  }
}
