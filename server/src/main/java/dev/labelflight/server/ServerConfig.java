package dev.labelflight.server;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Loads the server configuration: the JSON file named by {@code LABELFLIGHT_CONFIG}, else
 * {@code conf/labelflight.json} in the working directory, else the copy bundled in the jar; then every
 * leaf may be overridden by an environment variable {@code LABELFLIGHT_<PATH>}, the path's keys
 * upper-cased and joined by '_' (for example {@code LABELFLIGHT_FLIGHT_PORT=9000},
 * {@code LABELFLIGHT_MEMORY_BUDGETMIB=512}, {@code LABELFLIGHT_DATADIR=/var/lib/labelflight}); a list
 * leaf takes a comma-separated value ({@code LABELFLIGHT_CLUSTER_MEMBERS=127.0.0.1:5701,127.0.0.1:5702}).
 */
public final class ServerConfig {
  static final String PREFIX = "LABELFLIGHT_";
  static final String BUNDLED = "/labelflight.json";

  private ServerConfig() {}

  public static JsonObject load(Map<String, String> env) {
    JsonObject base = readBase(env);
    applyEnvironment(base, PREFIX, env);
    return base;
  }

  private static JsonObject readBase(Map<String, String> env) {
    try {
      String named = env.get(PREFIX + "CONFIG");
      if (named != null) {
        return new JsonObject(Files.readString(Path.of(named)));
      }
      Path local = Path.of("conf", "labelflight.json");
      if (Files.isRegularFile(local)) {
        return new JsonObject(Files.readString(local));
      }
      try (InputStream in = ServerConfig.class.getResourceAsStream(BUNDLED)) {
        if (in == null) {
          throw new IllegalStateException("no configuration: " + BUNDLED + " is missing from the jar");
        }
        return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read configuration", e);
    }
  }

  /** Replaces each leaf for which an environment variable is set, keeping the leaf's JSON type. */
  static void applyEnvironment(JsonObject config, String prefix, Map<String, String> env) {
    for (String key : config.fieldNames()) {
      String name = prefix + key.toUpperCase(Locale.ROOT);
      Object value = config.getValue(key);
      if (value instanceof JsonObject nested) {
        applyEnvironment(nested, name + "_", env);
        continue;
      }
      String override = env.get(name);
      if (override == null) {
        continue;
      }
      try {
        if (value instanceof Boolean) {
          if (!override.equalsIgnoreCase("true") && !override.equalsIgnoreCase("false")) {
            throw new IllegalArgumentException("expected true or false");
          }
          config.put(key, Boolean.parseBoolean(override));
        } else if (value instanceof Integer || value instanceof Long) {
          long parsed = Long.parseLong(override.trim());
          config.put(key, value instanceof Integer && parsed == (int) parsed ? (Object) (int) parsed : (Object) parsed);
        } else if (value instanceof Number) {
          config.put(key, Double.parseDouble(override.trim()));
        } else if (value instanceof io.vertx.core.json.JsonArray) {
          // Lists (cluster members, for one) are comma-separated strings.
          io.vertx.core.json.JsonArray list = new io.vertx.core.json.JsonArray();
          for (String item : override.split(",")) {
            if (!item.isBlank()) {
              list.add(item.trim());
            }
          }
          config.put(key, list);
        } else {
          config.put(key, override);
        }
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("environment variable " + name + "='" + override + "' is not a valid "
            + value.getClass().getSimpleName().toLowerCase(Locale.ROOT), e);
      }
    }
  }
}
