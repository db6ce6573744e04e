/**
 * Benchmarks (JMH engine benchmarks, thread-CPU-time comparisons) and the memory contract every harness
 * reports next to its results: peak RSS (VmHWM) against heap + budget + 256 MiB.
 */
package dev.labelflight.perf;
