/**
 * What one node's verticles share ({@link dev.labelflight.verticles.node.NodeResources}: stores, the memory
 * pool, the allocator, the labeler, execution settings), the cancel tokens of the jobs whose work runs here
 * ({@link dev.labelflight.verticles.node.JobTokens}), the bounded ways to take memory from the pool
 * ({@link dev.labelflight.verticles.node.MemoryAdmission}) and other nodes' datasets.
 */
package dev.labelflight.verticles.node;
