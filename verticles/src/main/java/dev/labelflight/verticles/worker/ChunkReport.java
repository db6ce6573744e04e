package dev.labelflight.verticles.worker;

import dev.labelflight.engine.apply.ChunkLabeler;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.store.AtomicFiles;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one finished chunk tells the job's registry: rows, the label payload's size and checksum (the
 * stream checks every chunk against them), evaluation time, the job positions of the LFs computed (not
 * cached), faults per fault-tolerant LF position, how often the chunk was retried with more memory, and
 * which node ran it.
 */
public record ChunkReport(String job, int chunk, int rows, long bytes, long crc32c, long evalNanos, int[] computed,
    Map<Integer, Long> faults, int retries, String node) {

  public static ChunkReport of(String job, ChunkLabeler.Result result, int retries, String node) {
    Map<Integer, Long> faults = new TreeMap<>();
    for (int i = 0; result.faults() != null && i < result.faults().length; i++) {
      if (result.faults()[i] > 0) {
        faults.put(i, (long) result.faults()[i]);
      }
    }
    return new ChunkReport(job, result.chunk(), result.rows(), result.payload().bytes(), result.payload().crc32c(),
        result.evalNanos(), result.computed(), faults, retries, node);
  }

  public AtomicFiles.Written payload() {
    return new AtomicFiles.Written(bytes, crc32c);
  }

  public JsonObject toJson() {
    JsonArray computedJson = new JsonArray();
    for (int i : computed) {
      computedJson.add(i);
    }
    // Faults of fault-tolerant LFs on this chunk, by LF position: {"3": 12}.
    JsonObject faultsJson = new JsonObject();
    faults.forEach((lf, n) -> faultsJson.put(Integer.toString(lf), n));
    return new JsonObject().put("job", job).put("chunk", chunk).put("rows", rows).put("bytes", bytes)
        .put("crc32c", crc32c).put("evalNanos", evalNanos).put("computed", computedJson).put("faults", faultsJson)
        .put("retries", retries).put("node", node);
  }

  public static ChunkReport fromJson(JsonObject json) {
    try {
      JsonArray computedJson = json.getJsonArray("computed", new JsonArray());
      int[] computed = new int[computedJson.size()];
      for (int i = 0; i < computed.length; i++) {
        computed[i] = computedJson.getInteger(i);
      }
      Map<Integer, Long> faults = new TreeMap<>();
      json.getJsonObject("faults", new JsonObject())
          .forEach(f -> faults.put(Integer.parseInt(f.getKey()), ((Number) f.getValue()).longValue()));
      return new ChunkReport(json.getString("job"), json.getInteger("chunk"), json.getInteger("rows"),
          json.getLong("bytes"), json.getLong("crc32c"), json.getLong("evalNanos", 0L), computed, faults,
          json.getInteger("retries", 0), json.getString("node", "?"));
    } catch (RuntimeException e) {
      throw LabelFlightException.invalid("malformed chunk report: " + e);
    }
  }
}
