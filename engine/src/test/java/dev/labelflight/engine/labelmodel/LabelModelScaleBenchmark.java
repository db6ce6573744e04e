package dev.labelflight.engine.labelmodel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.labelflight.engine.labelmatrix.LabelChunk;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The Java side of {@code perf/label-models/scale.py} (not a test): fits the generative model out-of-core
 * on a chunk-major label matrix file (per chunk, each LF's int8 or int16 column), reading it chunk by chunk
 * once per EM epoch into one reused chunk, as the server reads its label store. Prints fit time (wall and
 * CPU time of the fitting thread, which is what a shared machine leaves comparable), epochs,
 * peak heap and the process's peak resident memory, and writes the predictions (tie policy random) to
 * NAME.preds.bin as int16. Usage: {@code LabelModelScaleBenchmark DIR NAME}.
 */
public final class LabelModelScaleBenchmark {
  private LabelModelScaleBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    String name = args[1];
    JsonNode meta = new ObjectMapper().readTree(dir.resolve(name + ".json").toFile());
    int n = meta.get("n").asInt();
    int m = meta.get("m").asInt();
    int k = meta.get("k").asInt();
    int chunkRows = meta.get("chunkRows").asInt();
    int width = meta.get("bytes").asInt();
    try (FileChannel file = FileChannel.open(dir.resolve(name + ".L.bin"), StandardOpenOption.READ)) {
      ChunkReader reader = new ChunkReader(file, n, m, chunkRows, width);
      System.gc();
      ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
      long start = System.nanoTime();
      long cpuStart = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
      GenerativeModel.Fitter fitter = new GenerativeModel.Fitter(m, k, GenerativeModel.Options.defaults());
      while (!fitter.done()) {
        for (int first = 0; first < n; first += chunkRows) {
          fitter.add(reader.read(first), null);
        }
        fitter.endEpoch();
      }
      GenerativeModel model = fitter.model();
      long fitNanos = System.nanoTime() - start;
      long fitCpuNanos = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - cpuStart;
      long peakHeap = 0;
      for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
        if (pool.getType() == MemoryType.HEAP) {
          peakHeap += pool.getPeakUsage().getUsed();
        }
      }
      long predictStart = System.nanoTime();
      ByteBuffer preds = ByteBuffer.allocate(n * 2).order(ByteOrder.LITTLE_ENDIAN);
      double[][] p = new double[k][chunkRows];
      byte[] out = new byte[chunkRows];
      for (int first = 0; first < n; first += chunkRows) {
        LabelChunk chunk = reader.read(first);
        model.predictProba(chunk, p);
        short[] labels = new short[chunk.rows()];
        TiePolicy.RANDOM.predict(p, chunk.rows(), first, null, labels);
        for (short label : labels) {
          preds.putShort(label);
        }
      }
      long predictNanos = System.nanoTime() - predictStart;
      Files.write(dir.resolve(name + ".preds.bin"), preds.array());
      System.out.println(new ObjectMapper().createObjectNode().put("name", name)
          .put("fit_ms", fitNanos / 1e6).put("fit_cpu_ms", fitCpuNanos / 1e6).put("epochs", model.epochs()).put("predict_ms", predictNanos / 1e6)
          .put("peak_heap_mb", peakHeap / 1048576.0).put("max_rss_mb", maxRssMb()));
    }
  }

  private static double maxRssMb() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
      }
    }
    return Double.NaN;
  }

  /** Reads chunk after chunk into the same arrays (the fitter keeps nothing of a chunk). */
  private static final class ChunkReader {
    private final FileChannel file;
    private final int n;
    private final int m;
    private final int chunkRows;
    private final int width;
    private final ByteBuffer buffer;
    private final short[][] columns;

    ChunkReader(FileChannel file, int n, int m, int chunkRows, int width) {
      this.file = file;
      this.n = n;
      this.m = m;
      this.chunkRows = chunkRows;
      this.width = width;
      buffer = ByteBuffer.allocateDirect(chunkRows * m * width).order(ByteOrder.LITTLE_ENDIAN);
      columns = new short[m][chunkRows];
    }

    LabelChunk read(int first) throws IOException {
      int rows = Math.min(chunkRows, n - first);
      buffer.clear().limit(rows * m * width);
      long position = (long) first * m * width;
      while (buffer.hasRemaining()) {
        position += file.read(buffer, position);
      }
      buffer.flip();
      short[][] labels = rows == chunkRows ? columns : new short[m][rows];
      for (int j = 0; j < m; j++) {
        short[] column = labels[j];
        for (int r = 0; r < rows; r++) {
          column[r] = width == 1 ? buffer.get() : buffer.getShort();
        }
      }
      return new LabelChunk(first, rows, labels);
    }
  }
}
