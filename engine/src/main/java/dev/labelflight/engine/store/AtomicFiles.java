package dev.labelflight.engine.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;
import java.util.zip.CRC32C;

/** Writes files so that they appear whole or not at all: temp file, fsync, atomic rename, fsync of the directory. */
public final class AtomicFiles {

  /** What was written: size and CRC32C of the file's bytes. */
  public record Written(long bytes, long crc32c) {}

  /** Writes the file's bytes through a channel. */
  @FunctionalInterface
  public interface ChannelWriter {
    void write(WritableByteChannel channel) throws IOException;
  }

  private AtomicFiles() {}

  public static Written write(Path target, ChannelWriter writer) throws IOException {
    Path tmp = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
    try {
      Written written;
      try (FileChannel file = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ChecksummingChannel channel = new ChecksummingChannel(file);
        writer.write(channel);
        file.force(true);
        written = new Written(channel.bytes, channel.crc.getValue());
      }
      move(tmp, target);
      fsyncDirectory(target.getParent());
      return written;
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  public static Written write(Path target, byte[] content) throws IOException {
    return write(target, channel -> {
      ByteBuffer buffer = ByteBuffer.wrap(content);
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
    });
  }

  /** Renames atomically; the source must be on the same file system. */
  public static void move(Path source, Path target) throws IOException {
    try {
      Files.move(source, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("the data directory's file system cannot rename atomically: " + target, e);
    }
  }

  public static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // Some file systems refuse to open directories; the rename is still atomic there.
      if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
        return;
      }
      throw e;
    }
  }

  /** Deletes a directory tree (or a file); absent is fine. */
  public static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path)) {
      return;
    }
    try (java.util.stream.Stream<Path> walk = Files.walk(path)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  public static long crc32c(byte[] bytes) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, bytes.length);
    return crc.getValue();
  }

  /** Counts and checksums what goes through it. */
  private static final class ChecksummingChannel implements WritableByteChannel {
    private final WritableByteChannel delegate;
    private final CRC32C crc = new CRC32C();
    private long bytes;

    ChecksummingChannel(WritableByteChannel delegate) {
      this.delegate = delegate;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      ByteBuffer view = src.duplicate();
      int n = delegate.write(src);
      view.limit(view.position() + n);
      crc.update(view);
      bytes += n;
      return n;
    }

    @Override
    public boolean isOpen() {
      return delegate.isOpen();
    }


    /** Writers close their channel; the file must stay open for fsync, so closing is left to the owner. */
    @Override
    public void close() {
    }
  }
}
