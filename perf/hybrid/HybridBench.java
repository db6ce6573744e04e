import dev.labelflight.engine.demo.ReviewsGenerator;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.arrow.flight.Action;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.Result;
import org.apache.arrow.flight.SyncPutListener;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Hybrid execution benchmarks against a real server process (java -jar server/target/labelflight-server.jar).
 * interactive: 1,000,000-row resident dataset, 10 LFs cached, one LF edited and re-applied, labels fetched
 * over Flight: latency of apply + full DoGet, p50/p99 over 50 runs.
 * outofcore: dataset 4x the budget on the queue path (-Xmx512m), peak RSS, throughput vs the resident path.
 * read: chunk reads in this JVM, heap copy (DatasetStore.readChunk) against mapped (MappedChunks).
 */
public class HybridBench {
  static final String LFS = """
      {"name":"kw_spam","kind":"keyword","column":"text","keywords":["free money","winner","click here"],"label":"SPAM"},
      {"name":"kw_good","kind":"keyword","column":"text","keywords":["great","excellent","love"],"label":"HAM"},
      {"name":"kw_bad","kind":"keyword","column":"text","keywords":["broken","refund","waste"],"label":"SPAM"},
      {"name":"re_url","kind":"regex","column":"text","pattern":"https?://","label":"SPAM"},
      {"name":"re_money","kind":"regex","column":"text","pattern":"\\\\$[0-9]+","label":"SPAM"},
      {"name":"low_stars","kind":"numeric","column":"stars","op":"<","value":3,"label":"SPAM"},
      {"name":"high_stars","kind":"numeric","column":"stars","op":">=","value":4,"label":"HAM"},
      {"name":"short","kind":"numeric","column":"length","op":"<","value":40,"label":"HAM"},
      {"name":"cheap","kind":"numeric","column":"price","op":"<","value":5,"label":"SPAM"},
      {"name":"mid_price","kind":"numeric","column":"price","op":"between","min":10,"max":50,"label":"HAM"}""";

  public static void main(String[] args) throws Exception {
    String what = args[0];
    Path work = Files.createTempDirectory("labelflight-bench");
    if (what.equals("interactive")) {
      interactive(work, args.length > 1 ? args[1] : "all");
    } else if (what.equals("read")) {
      reads(work);
      System.out.println(dev.labelflight.perf.MemoryContract.thisJvm("this JVM (reads)").measure().summary());
    } else {
      System.setProperty("chunkRows", "4000");
      outOfCore(work, Integer.parseInt(args.length > 1 ? args[1] : "64"));
    }
  }

  static Process server(Path data, int port, String xmx, int budgetMiB, Path log) throws Exception {
    // As bin/serve starts a server: the JVM's direct-memory limit is the budget + 64 MiB (perf MemoryContract).
    long heapMib = xmx.endsWith("g") ? Long.parseLong(xmx.replace("g", "")) * 1024 : Long.parseLong(xmx.replace("m", ""));
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-opens=java.base/java.nio=ALL-UNNAMED"));
    command.addAll(dev.labelflight.perf.MemoryContract.serverOptions(heapMib, budgetMiB));
    // Extra server JVM options, e.g. SERVER_JAVA_OPTS=-XX:StartFlightRecording=filename=/tmp/s.jfr for a profile.
    String extra = System.getenv("SERVER_JAVA_OPTS");
    if (extra != null && !extra.isBlank()) {
      command.addAll(List.of(extra.trim().split("\\s+")));
    }
    command.addAll(List.of("-jar", "server/target/labelflight-server.jar"));
    ProcessBuilder b = new ProcessBuilder(command);
    Map<String, String> env = b.environment();
    env.put("LABELFLIGHT_DATADIR", data.toString());
    env.put("LABELFLIGHT_FLIGHT_PORT", String.valueOf(port));
    env.put("LABELFLIGHT_HTTP_PORT", String.valueOf(port + 1));
    env.put("LABELFLIGHT_DEMO_ENABLED", "false");
    // Measures execution paths, not the per-call token check (the tests cover authentication).
    env.put("LABELFLIGHT_AUTH_ENABLED", "false");
    env.put("LABELFLIGHT_MEMORY_BUDGETMIB", String.valueOf(budgetMiB));
    // ~2 KiB rows in the out-of-core run: 4000 rows keep a chunk under 8 MiB (the allocator rounds up to powers of two).
    env.put("LABELFLIGHT_STORE_CHUNKROWS", System.getProperty("chunkRows", "65536"));
    b.redirectErrorStream(true).redirectOutput(log.toFile());
    Process p = b.start();
    for (int i = 0; i < 600; i++) {
      try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
        return p;
      } catch (java.io.IOException e) {
        Thread.sleep(100);
      }
    }
    throw new IllegalStateException("server did not start, see " + log);
  }

  /** A free port whose successor (the HTTP port) is free too: other benchmarks may run on this machine. */
  static int freePort() throws Exception {
    for (int i = 0; i < 50; i++) {
      try (java.net.ServerSocket a = new java.net.ServerSocket(0)) {
        int port = a.getLocalPort();
        try (java.net.ServerSocket b = new java.net.ServerSocket(port + 1)) {
          return port;
        } catch (java.io.IOException taken) {
          // try another
        }
      }
    }
    throw new IllegalStateException("no free port pair");
  }

  static JsonObject action(FlightClient client, String type, String body) {
    Iterator<Result> r = client.doAction(new Action(type, body.getBytes(StandardCharsets.UTF_8)));
    JsonObject reply = new JsonObject(new String(r.next().getBody(), StandardCharsets.UTF_8));
    r.forEachRemaining(x -> { });
    return reply;
  }

  static void upload(FlightClient client, BufferAllocator allocator, String name, Schema schema,
      java.util.function.IntFunction<VectorSchemaRoot> batches, int count) throws Exception {
    try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator); SyncPutListener ack = new SyncPutListener()) {
      FlightClient.ClientStreamListener put = client.startPut(FlightDescriptor.path("datasets", name), root, ack);
      for (int i = 0; i < count; i++) {
        try (VectorSchemaRoot batch = batches.apply(i); ArrowRecordBatch arrow = new VectorUnloader(batch).getRecordBatch()) {
          new VectorLoader(root).load(arrow);
          put.putNext();
        }
      }
      put.completed();
      put.getResult();
    }
  }

  /** Applies and reads the whole label stream; returns rows read. */
  static String lastJob;

  static long applyAndFetch(FlightClient client, String body) throws Exception {
    String job = action(client, "apply", body).getString("job");
    lastJob = job;
    long rows = 0;
    try (FlightStream stream = client.getStream(new Ticket(("labels/" + job).getBytes(StandardCharsets.UTF_8)))) {
      while (stream.next()) {
        rows += stream.getRoot().getRowCount();
      }
    }
    return rows;
  }

  static String body(String dataset, String mode, String lfs) {
    return "{\"dataset\":\"" + dataset + "\",\"labels\":[\"HAM\",\"SPAM\"],\"mode\":\"" + mode + "\",\"lfs\":[" + lfs + "]}";
  }

  /** {@code only}: "numeric" runs the numeric-edit loop alone, anything else both loops. */
  static void interactive(Path work, String only) throws Exception {
    int port = freePort();
    Process p = server(work.resolve("data"), port, "2g", 1536, work.resolve("server.log"));
    var memory = dev.labelflight.perf.MemoryContract.server("server", p.pid(), port + 1);
    try (RootAllocator allocator = new RootAllocator();
         FlightClient client = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", port)).build()) {
      ReviewsGenerator gen = new ReviewsGenerator(42);
      upload(client, allocator, "reviews", ReviewsGenerator.SCHEMA, i -> gen.batch(i * 100_000L, 100_000, allocator), 10);
      long rows = applyAndFetch(client, body("reviews", "resident", LFS)); // loads the resident copy, fills the cache
      serverPid = p.pid();
      loop(client, rows, "numeric LF edited (threshold)",
          run -> LFS.replace("\"op\":\"<\",\"value\":5,", "\"op\":\"<\",\"value\":" + (5 + (run + 1) * 0.01) + ","));
      if (only.equals("numeric")) {
        return;
      }
      loop(client, rows, "keyword LF edited (one keyword added)",
          run -> LFS.replace("[\"great\",\"excellent\",\"love\"]", "[\"great\",\"excellent\",\"love\",\"run" + run + "\"]"));
    } finally {
      System.out.println("  " + memory.measure().summary());
      p.destroy();
      p.waitFor();
    }
  }

  static long serverPid;
  /**
   * Runs that warm the JIT and are not counted: with 5, the server's C2 compiler still took ~80 ms of
   * CPU per measured run on this 2-core machine (see the per-thread CPU line).
   */
  static final int WARMUP = 100;

  /** CPU time (user + system) of a process so far, in ms, from /proc (clock ticks of 10 ms). */
  static double cpuMillis(long pid) throws Exception {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10.0;
  }

  /** CPU ms so far of a process's threads, summed by thread name (digits dropped: pools count as one). */
  static Map<String, Double> threadCpuMillis(long pid) throws Exception {
    Map<String, Double> out = new java.util.TreeMap<>();
    try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
      for (Path t : tasks.toList()) {
        try {
          String stat = Files.readString(t.resolve("stat"));
          String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[-#]?[0-9]+$", "");
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          out.merge(name, (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10.0, Double::sum);
        } catch (java.io.IOException ended) {
          // the thread ended meanwhile
        }
      }
    }
    return out;
  }

  static void loop(FlightClient client, long rows, String what, java.util.function.IntFunction<String> edit)
      throws Exception {
    Map<String, Double> threadsBefore = null;
    double serverCpu = 0;
    double clientCpu = 0;
    List<Double> ms = new ArrayList<>();
    List<Double> jobMs = new ArrayList<>();
    List<Double> evalMs = new ArrayList<>();
    for (int run = 0; run < WARMUP + 50; run++) {
      String edited = edit.apply(run);
      if (edited.equals(LFS)) {
        throw new IllegalStateException("edit did not change the LFs");
      }
      double s0 = cpuMillis(serverPid);
      double c0 = cpuMillis(ProcessHandle.current().pid());
      long t0 = System.nanoTime();
      long got = applyAndFetch(client, body("reviews", "auto", edited));
      double elapsed = (System.nanoTime() - t0) / 1e6;
      if (run == WARMUP - 1) {
        threadsBefore = threadCpuMillis(serverPid);
      }
      if (run >= WARMUP) {
        serverCpu += cpuMillis(serverPid) - s0;
        clientCpu += cpuMillis(ProcessHandle.current().pid()) - c0;
      }
      if (got != rows) {
        throw new IllegalStateException("got " + got + " rows");
      }
      JsonObject st = action(client, "job_status", "{\"job\":\"" + lastJob + "\"}");
      if (!st.getString("path").equals("resident") || st.getLong("lfChunkEvaluations") != 16) {
        throw new IllegalStateException("expected one LF computed on the resident path: " + st.encode());
      }
      if (run >= WARMUP) {
        ms.add(elapsed);
        jobMs.add((double) st.getLong("elapsedMillis"));
        evalMs.add((double) st.getLong("evalMillis"));
      }
    }
    Collections.sort(ms);
    Collections.sort(jobMs);
    Collections.sort(evalMs);
    System.out.printf("interactive, %s: rows=%d runs=%d p50=%.1f ms p99=%.1f ms min=%.1f ms max=%.1f ms%n", what, rows,
        ms.size(), ms.get(ms.size() / 2), ms.get((int) Math.ceil(ms.size() * 0.99) - 1), ms.get(0), ms.get(ms.size() - 1));
    System.out.printf("  server side: job elapsed p50=%.0f ms; LF evaluation thread time summed over chunks p50=%.0f ms%n",
        jobMs.get(jobMs.size() / 2), evalMs.get(evalMs.size() / 2));
    // CPU per run depends far less on the other load of a shared machine than the latency does.
    System.out.printf("  CPU per run (mean over the %d runs): server %.0f ms, client %.0f ms%n", ms.size(),
        serverCpu / ms.size(), clientCpu / ms.size());
    Map<String, Double> before = threadsBefore;
    List<Map.Entry<String, Double>> threads = new ArrayList<>(threadCpuMillis(serverPid).entrySet());
    threads.forEach(e -> e.setValue((e.getValue() - before.getOrDefault(e.getKey(), 0.0)) / ms.size()));
    threads.sort(Map.Entry.<String, Double>comparingByValue().reversed());
    StringBuilder top = new StringBuilder("  server CPU per run by thread:");
    threads.stream().limit(8).forEach(e -> top.append(String.format(" %s %.0f ms;", e.getKey(), e.getValue())));
    System.out.println(top);
  }

  static final Schema LONG_TEXT = new Schema(List.of(
      new Field("id", FieldType.notNullable(new ArrowType.Int(64, true)), null),
      new Field("text", FieldType.notNullable(new ArrowType.Utf8()), null)));

  static VectorSchemaRoot longText(int batch, BufferAllocator allocator) {
    java.util.Random random = new java.util.Random(batch);
    String[] words = {"good", "value", "broken", "fast", "slow", "price", "review", "winner", "quality", "http://x.io"};
    VectorSchemaRoot root = VectorSchemaRoot.create(LONG_TEXT, allocator);
    root.allocateNew();
    BigIntVector id = (BigIntVector) root.getVector(0);
    VarCharVector text = (VarCharVector) root.getVector(1);
    for (int i = 0; i < 1024; i++) {
      StringBuilder b = new StringBuilder(2048);
      while (b.length() < 2000) {
        b.append(words[random.nextInt(words.length)]).append(' ');
      }
      id.set(i, batch * 1024L + i);
      text.setSafe(i, b.toString().getBytes(StandardCharsets.UTF_8));
    }
    root.setRowCount(1024);
    return root;
  }

  /** Heap read (DatasetStore.readChunk) against mapped read (MappedChunks) of the same 256 MiB, in this JVM. */
  static void reads(Path work) throws Exception {
    var store = new dev.labelflight.engine.store.DatasetStore(work, 4000);
    dev.labelflight.engine.store.Manifest m;
    try (RootAllocator allocator = new RootAllocator();
         var upload = store.beginUpload("big", LONG_TEXT, allocator)) {
      for (int i = 0; i < 129; i++) {
        try (VectorSchemaRoot batch = longText(i, allocator)) {
          upload.append(batch);
        }
      }
      m = upload.commit();
    }
    for (int round = 0; round < 2; round++) {
      for (String how : List.of("heap", "mapped")) {
        List<Double> runs = new ArrayList<>();
        for (int run = 0; run < 5; run++) {
          long t0 = System.nanoTime();
          try (RootAllocator allocator = new RootAllocator()) {
            for (int c = 0; c < m.chunks().size(); c++) {
              try (VectorSchemaRoot chunk = how.equals("heap") ? store.readChunk(m, c, allocator)
                  : dev.labelflight.engine.store.MappedChunks.read(store, m, c, allocator)) {
                if (chunk.getRowCount() == 0) {
                  throw new IllegalStateException("empty chunk " + c);
                }
              }
            }
          }
          runs.add((System.nanoTime() - t0) / 1e6);
        }
        Collections.sort(runs);
        if (round == 1) {
          System.out.printf("read %s: %d chunks, %d MiB, median %.0f ms over 5 runs (%.0f MiB/s)%n", how, m.chunks().size(),
              m.bytes() >> 20, runs.get(2), (m.bytes() >> 20) / (runs.get(2) / 1000));
        }
      }
    }
  }

  static long peakRssKiB(Process p) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/" + p.pid() + "/status"))) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }

  static void outOfCore(Path work, int budgetMiB) throws Exception {
    int batches = budgetMiB * 4 * 1024 / 2048 + 1; // ~2 KiB per row: 4x the budget
    String lfs = """
        {"name":"kw","kind":"keyword","column":"text","keywords":["winner","broken"],"label":"SPAM"},
        {"name":"re","kind":"regex","column":"text","pattern":"https?://","label":"SPAM"}""";
    double[] seconds = new double[2];
    long[] rss = new long[2];
    String[] modes = {"queue", "resident"};
    for (int m = 0; m < 2; m++) {
      int port = 19915 + 10 * m;
      Path data = work.resolve("data-" + modes[m]);
      Process p = server(data, port, "512m", m == 0 ? budgetMiB : budgetMiB * 16, work.resolve("server-" + modes[m] + ".log"));
      var memory = dev.labelflight.perf.MemoryContract.server(modes[m] + " server", p.pid(), port + 1);
      try (RootAllocator allocator = new RootAllocator();
           FlightClient client = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", port)).build()) {
        upload(client, allocator, "big", LONG_TEXT, i -> longText(i, allocator), batches);
        if (m == 1) {
          applyAndFetch(client, body("big", "resident", lfs.replace("winner", "loads"))); // load the resident copy
        }
        List<Double> runs = new ArrayList<>();
        for (int run = 0; run < 3; run++) {
          String fresh = lfs.replace("\"broken\"", "\"broken" + run + "\"").replace("https?://", "https?://" + run + "?");
          long t0 = System.nanoTime();
          applyAndFetch(client, body("big", modes[m], fresh));
          runs.add((System.nanoTime() - t0) / 1e9);
        }
        Collections.sort(runs);
        seconds[m] = runs.get(1);
        rss[m] = peakRssKiB(p);
        System.out.printf("%s: %d rows (%d MiB of text), budget %d MiB, median %.2f s over 3 runs, peak RSS %d MiB%n",
            modes[m], batches * 1024L, batches * 2L, m == 0 ? budgetMiB : budgetMiB * 16, seconds[m], rss[m] >> 10);
        System.out.println("  " + memory.measure().summary());
      } finally {
        p.destroy();
        p.waitFor();
      }
    }
    System.out.printf("out-of-core throughput / resident throughput = %.2f%n", seconds[1] / seconds[0]);
  }
}
