package dev.labelflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Offline check of conf/k8s: no kubeconform here, so the fields that matter are checked by hand. */
class KubernetesManifestTest {
  static final Path MANIFEST = Path.of("..", "conf", "k8s", "labelflight.yaml");

  static Map<String, JsonNode> byKind() throws Exception {
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    Map<String, JsonNode> docs = new HashMap<>();
    List<JsonNode> all = new ArrayList<>();
    try (YAMLParser parser = new YAMLFactory().createParser(Files.readString(MANIFEST))) {
      yaml.readValues(parser, JsonNode.class).forEachRemaining(all::add);
    }
    for (JsonNode doc : all) {
      assertTrue(doc.hasNonNull("apiVersion") && doc.hasNonNull("kind") && doc.path("metadata").hasNonNull("name"),
          "every document needs apiVersion, kind and metadata.name: " + doc);
      docs.put(doc.get("kind").asText() + "/" + doc.get("metadata").get("name").asText(), doc);
    }
    return docs;
  }

  /**
   * Verifies that the StatefulSet has a data volume, requests and limits, and probes on /health and
   * /ready; that Hazelcast has a headless Service; and that Flight and HTTP are exposed.
   */
  @Test
  void manifestsHaveWhatADeploymentNeeds() throws Exception {
    Map<String, JsonNode> docs = byKind();
    JsonNode sts = docs.get("StatefulSet/labelflight");
    assertNotNull(sts);
    assertEquals("apps/v1", sts.get("apiVersion").asText());
    JsonNode spec = sts.get("spec");
    JsonNode labels = spec.at("/template/metadata/labels");
    spec.at("/selector/matchLabels").fields().forEachRemaining(e ->
        assertEquals(e.getValue(), labels.get(e.getKey()), "selector must match the pod labels"));
    JsonNode container = spec.at("/template/spec/containers/0");
    for (String r : List.of("requests", "limits")) {
      assertFalse(container.at("/resources/" + r + "/cpu").isMissingNode(), r + ".cpu");
      assertFalse(container.at("/resources/" + r + "/memory").isMissingNode(), r + ".memory");
    }
    assertEquals("/health", container.at("/livenessProbe/httpGet/path").asText());
    assertEquals("/ready", container.at("/readinessProbe/httpGet/path").asText());
    String mount = container.at("/volumeMounts/0/name").asText();
    assertEquals(mount, spec.at("/volumeClaimTemplates/0/metadata/name").asText());
    String dataDir = null;
    for (JsonNode env : container.get("env")) {
      if (env.get("name").asText().equals("LABELFLIGHT_DATADIR")) {
        dataDir = env.get("value").asText();
      }
    }
    assertEquals(container.at("/volumeMounts/0/mountPath").asText(), dataDir, "data dir on the volume");

    JsonNode headless = docs.get("Service/" + spec.get("serviceName").asText());
    assertNotNull(headless, "serviceName must name a Service");
    assertEquals("None", headless.at("/spec/clusterIP").asText());
    List<Integer> ports = new ArrayList<>();
    docs.get("Service/labelflight").at("/spec/ports").forEach(p -> ports.add(p.get("port").asInt()));
    assertEquals(List.of(8815, 8080), ports);
  }

  /**
   * Verifies that the pod's memory settings keep the memory contract inside its limit: the JVM's direct-memory limit
   * is the budget + 64 MiB (NodeSizing.TRANSPORT_RESERVE, so the server does not clamp the budget), and heap + budget
   * + 256 MiB fit under the container's memory limit.
   */
  @Test
  void memorySettingsKeepTheContractUnderTheLimit() throws Exception {
    JsonNode container = byKind().get("StatefulSet/labelflight").at("/spec/template/spec/containers/0");
    Map<String, String> env = new HashMap<>();
    container.get("env").forEach(e -> env.put(e.get("name").asText(), e.path("value").asText()));
    long budgetMib = Long.parseLong(env.get("LABELFLIGHT_MEMORY_BUDGETMIB"));
    long heapMib = -1;
    long directMib = -1;
    for (String option : env.get("JAVA_TOOL_OPTIONS").split("\\s+")) {
      if (option.startsWith("-Xmx")) {
        heapMib = mib(option.substring(4));
      } else if (option.startsWith("-XX:MaxDirectMemorySize=")) {
        directMib = mib(option.substring("-XX:MaxDirectMemorySize=".length()));
      }
    }
    assertEquals(budgetMib + (dev.labelflight.engine.sizing.NodeSizing.TRANSPORT_RESERVE >> 20), directMib,
        "direct-memory limit = budget + transport reserve");
    long limitMib = mib(container.at("/resources/limits/memory").asText());
    assertTrue(heapMib > 0 && heapMib + budgetMib + 256 <= limitMib,
        "heap " + heapMib + " + budget " + budgetMib + " + 256 MiB must fit the limit of " + limitMib + " MiB");
  }

  /** MiB in a JVM size (512m, 2g) or a Kubernetes quantity (512Mi, 2Gi). */
  static long mib(String size) {
    String s = size.trim();
    if (s.endsWith("Gi") || s.endsWith("g") || s.endsWith("G")) {
      return Long.parseLong(s.replaceAll("[^0-9]", "")) << 10;
    }
    if (s.endsWith("Mi") || s.endsWith("m") || s.endsWith("M")) {
      return Long.parseLong(s.replaceAll("[^0-9]", ""));
    }
    return Long.parseLong(s) >> 20;
  }
}
