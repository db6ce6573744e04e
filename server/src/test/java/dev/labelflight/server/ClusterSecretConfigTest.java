package dev.labelflight.server;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A cluster's secret is not optional. */
class ClusterSecretConfigTest {
  @TempDir Path dir;

  /**
   * Verifies that a clustered node without the cluster's secret (or with one too short) does not start,
   * and says which keys to set, before it starts Hazelcast.
   */
  @Test
  void clusteredNodeNeedsTheSecret() throws Exception {
    for (String secret : new String[] {"", "short"}) {
      JsonObject config = ServerConfig.load(Map.of()).put("dataDir", dir.resolve("data").toString());
      config.getJsonObject("cluster").put("enabled", true).put("secret", secret).put("secretFile", "");
      LabelFlightServer server = new LabelFlightServer(config);
      try {
        Throwable e = assertThrows(ExecutionException.class,
            () -> server.start().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS)).getCause();
        assertTrue(e.getMessage().contains("invalid cluster configuration") && e.getMessage().contains("secret"),
            e.getMessage());
        assertTrue(secret.isEmpty() ? e.getMessage().contains("LABELFLIGHT_CLUSTER_SECRETFILE")
            : e.getMessage().contains("at least 16 characters"), e.getMessage());
        assertTrue(server.cluster() == null, "no Hazelcast member was started");
      } finally {
        server.close();
      }
    }
  }
}
