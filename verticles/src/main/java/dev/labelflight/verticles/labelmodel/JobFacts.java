package dev.labelflight.verticles.labelmodel;

import dev.labelflight.engine.apply.LabelStore;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.engine.labelmatrix.LfClasses;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * What analysis and label models need to know of a job, read once from its status and its stored label
 * metadata: the dataset version, the label space, the LFs with their spec hashes (how a stored model finds
 * its LFs in another job), multi-label facts and the row count.
 */
record JobFacts(String job, String datasetKey, String dataset, int version, List<String> classes, List<String> lfs,
    List<String> fingerprints, boolean multiLabel, LfClasses lfClasses, long rowsTotal) {

  static JobFacts of(String job, JsonObject status, LabelStore.JobLabels labels) {
    List<String> classes = strings(status.getJsonArray("classes"));
    List<String> lfs = strings(status.getJsonArray("lfs"));
    boolean multiLabel = Boolean.TRUE.equals(status.getValue("multiLabel"));
    LfClasses lfClasses = null;
    if (multiLabel) {
      JsonArray array = status.getJsonArray("lfClasses");
      if (array == null || array.size() != lfs.size()) {
        throw LabelFlightException.internal("multi-label job status lacks 'lfClasses' for its " + lfs.size() + " LFs", null);
      }
      int[] classOf = new int[lfs.size()];
      for (int j = 0; j < classOf.length; j++) {
        classOf[j] = array.getInteger(j);
      }
      lfClasses = new LfClasses(classOf, classes.size());
    }
    return new JobFacts(job, status.getString("datasetKey"), status.getString("dataset"), status.getInteger("version"),
        classes, lfs, labels.fingerprints(), multiLabel, lfClasses, status.getLong("rowsTotal"));
  }

  static List<String> strings(JsonArray array) {
    List<String> out = new ArrayList<>(array.size());
    array.forEach(o -> out.add((String) o));
    return out;
  }
}
