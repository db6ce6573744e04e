/**
 * Off-heap memory of a node, set up once per process: the pool Arrow's buffers come from
 * ({@link dev.labelflight.server.offheap.PooledArrowMemory}), the process-wide JDK and Netty settings that make all
 * direct memory count against one limit ({@link dev.labelflight.server.offheap.ProcessMemorySettings}), and that
 * limit ({@link dev.labelflight.server.offheap.DirectMemoryLimit}), from which the node's budget is clamped. The
 * memory contract these serve (RSS <= -Xmx + budget + 256 MiB) is in {@code docs/DESIGN.md}.
 */
package dev.labelflight.server.offheap;
