/**
 * CSV in and out of the store: {@link dev.labelflight.engine.csv.CsvReader} turns a byte stream into Arrow
 * batches with column types inferred from the first rows (bounded buffers: one record, the sample, one
 * batch), naming the row, column and value of anything that does not fit; {@link dev.labelflight.engine.csv.CsvWriter}
 * writes RFC 4180 cells for exports. Plain Java, blocking on its streams.
 */
package dev.labelflight.engine.csv;
