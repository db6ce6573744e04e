/**
 * Resident copies of dataset versions: the copy itself ({@link dev.labelflight.verticles.resident.ResidentDataset},
 * a worker verticle that holds its chunks under one reservation and runs jobs over them; its
 * {@link dev.labelflight.verticles.resident.TextIndexBuilder} copies and indexes the chunks' text in the
 * background after load, pausing while jobs run), this node's
 * {@link dev.labelflight.verticles.resident.ResidentPool} (all-or-nothing, bounded admission; TTL and LRU
 * eviction), and {@link dev.labelflight.verticles.resident.CopyHosting} (copies of other nodes' datasets,
 * both sides), with their bus records. The pool and the hosting are event-loop confined.
 */
package dev.labelflight.verticles.resident;
