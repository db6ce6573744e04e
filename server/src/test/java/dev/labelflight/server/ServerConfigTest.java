package dev.labelflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerConfigTest {

  /** Verifies that the bundled default configuration has the documented defaults. */
  @Test
  void bundledDefaults() {
    JsonObject config = ServerConfig.load(Map.of());
    assertEquals(8815, config.getJsonObject("flight").getInteger("port"));
    assertEquals("127.0.0.1", config.getJsonObject("flight").getString("host"));
    assertEquals(8080, config.getJsonObject("http").getInteger("port"));
    assertEquals(65536, config.getJsonObject("store").getInteger("chunkRows"));
    assertTrue(config.containsKey("dataDir"));
    assertTrue(config.getJsonObject("memory").containsKey("budgetMiB"));
  }

  /** Verifies that environment variables override leaves by path, keeping their JSON types. */
  @Test
  void environmentOverridesLeaves() {
    JsonObject config = ServerConfig.load(Map.of(
        "LABELFLIGHT_FLIGHT_PORT", "9999",
        "LABELFLIGHT_DATADIR", "/srv/lf",
        "LABELFLIGHT_MEMORY_BUDGETMIB", "512",
        "LABELFLIGHT_DEMO_ENABLED", "false",
        "UNRELATED", "x"));
    assertEquals(9999, config.getJsonObject("flight").getValue("port"));
    assertEquals("/srv/lf", config.getString("dataDir"));
    assertEquals(512, config.getJsonObject("memory").getValue("budgetMiB"));
    assertEquals(false, config.getJsonObject("demo").getValue("enabled"));
  }

  /** Verifies that a malformed override is refused with the variable's name. */
  @Test
  void badOverrideNamesTheVariable() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ServerConfig.load(Map.of("LABELFLIGHT_FLIGHT_PORT", "eighty")));
    assertTrue(e.getMessage().contains("LABELFLIGHT_FLIGHT_PORT"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> ServerConfig.load(Map.of("LABELFLIGHT_DEMO_ENABLED", "yes")));
    assertTrue(e.getMessage().contains("LABELFLIGHT_DEMO_ENABLED"), e.getMessage());
  }

  /** Verifies that LABELFLIGHT_CONFIG names a file that replaces the defaults. */
  @Test
  void configFileFromEnvironment(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("c.json");
    Files.writeString(file, "{\"dataDir\":\"x\",\"flight\":{\"port\":1}}");
    JsonObject config = ServerConfig.load(Map.of("LABELFLIGHT_CONFIG", file.toString(), "LABELFLIGHT_FLIGHT_PORT", "2"));
    assertEquals("x", config.getString("dataDir"));
    assertEquals(2, config.getJsonObject("flight").getInteger("port"));
  }
}
