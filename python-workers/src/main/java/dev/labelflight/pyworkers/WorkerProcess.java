package dev.labelflight.pyworkers;

import dev.labelflight.engine.memory.Reservation;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One forked worker: its connection, its memory reservation, the resident size it started from (what it shares
 * with its template) and a 16-byte state file in which it keeps the LF and row it is at, read when it hangs or
 * dies. Used by one thread at a time (the pool hands it out).
 */
final class WorkerProcess {
  private final ProcessHandle process;
  private final WorkerListener.Connection connection;
  private final Reservation reservation;
  private final Path stateFile;
  private final MappedByteBuffer state;
  private final long baselineRss;
  private final LfSetWorkers set;
  private int tasks;
  private long lastUsedNanos = System.nanoTime();

  WorkerProcess(LfSetWorkers set, WorkerListener.Connection connection, Reservation reservation, Path stateFile)
      throws IOException {
    this.set = set;
    this.connection = connection;
    this.reservation = reservation;
    this.stateFile = stateFile;
    this.process = ProcessHandle.of(connection.pid()).orElseThrow(() -> new IOException("worker exited at start"));
    try (RandomAccessFile f = new RandomAccessFile(stateFile.toFile(), "r")) {
      state = f.getChannel().map(FileChannel.MapMode.READ_ONLY, 0, 16);
      state.order(ByteOrder.nativeOrder());
    }
    this.baselineRss = ProcMemory.rssBytes(process.pid());
  }

  LfSetWorkers set() {
    return set;
  }

  ProcessHandle process() {
    return process;
  }

  long pid() {
    return process.pid();
  }

  long baselineRss() {
    return baselineRss;
  }

  Reservation reservation() {
    return reservation;
  }

  int tasks() {
    return tasks;
  }

  long lastUsedNanos() {
    return lastUsedNanos;
  }

  /** Sends one task and waits for its reply; an IOException means the worker died (or was killed). */
  Frame call(Frame task) throws IOException {
    tasks++;
    try {
      task.write(connection.out());
      return Frame.read(connection.in());
    } finally {
      lastUsedNanos = System.nanoTime();
    }
  }

  /** The chunk row the worker was at (row LFs write it per row). */
  long row() {
    return state.getLong(0);
  }

  /** The index of the LF the worker was running. */
  int lf() {
    return (int) state.getLong(8);
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Kills the process (SIGKILL), closes its connection and gives its memory back. Idempotent. */
  void kill() {
    process.destroyForcibly();
    try {
      connection.channel().close();
    } catch (IOException ignored) {
      // gone anyway
    }
    reservation.close();
    try {
      Files.deleteIfExists(stateFile);
    } catch (IOException ignored) {
      // the pool's directory goes at close
    }
  }

  @Override
  public String toString() {
    return "worker " + process.pid();
  }
}
