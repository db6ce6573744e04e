package dev.labelflight.server.offheap;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;

/** The JVM's direct-memory limit: {@code -XX:MaxDirectMemorySize}, or the max heap when it is not set (the JVM's rule). */
public final class DirectMemoryLimit {
  private DirectMemoryLimit() {}

  public static long bytes() {
    try {
      HotSpotDiagnosticMXBean bean = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
      long set = Long.parseLong(bean.getVMOption("MaxDirectMemorySize").getValue());
      if (set > 0) {
        return set;
      }
    } catch (RuntimeException e) {
      // Not HotSpot: fall through to the JVM's default rule.
    }
    return Runtime.getRuntime().maxMemory();
  }

  /** Whether {@code -XX:MaxDirectMemorySize} was given (else the limit is the max heap). */
  public static boolean explicit() {
    try {
      return ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).getVMOption("MaxDirectMemorySize")
          .getOrigin() != com.sun.management.VMOption.Origin.DEFAULT;
    } catch (RuntimeException e) {
      return false;
    }
  }
}
