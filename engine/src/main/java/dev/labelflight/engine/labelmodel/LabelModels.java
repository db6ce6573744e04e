package dev.labelflight.engine.labelmodel;

import com.fasterxml.jackson.databind.JsonNode;
import dev.labelflight.engine.error.LabelFlightException;

/** Rebuilds a fitted model from its {@link LabelModel#toJson()} form (how models travel between verticles). */
public final class LabelModels {
  private LabelModels() {}

  public static LabelModel fromJson(JsonNode node) {
    if (node.path("multiLabel").asBoolean(false)) {
      return MultiLabelModel.fromJson(node);
    }
    if ("loglinear".equals(node.path("form").asText())) {
      return LogLinearModel.fromJson(node);
    }
    String kind = node.path("kind").asText();
    return switch (kind) {
      case MajorityVote.KIND -> new MajorityVote(node.path("classes").asInt(), node.path("lfs").asInt());
      case GenerativeModel.KIND -> GenerativeModel.fromJson(node);
      default -> throw LabelFlightException.invalid("unknown label model kind '" + kind + "'");
    };
  }
}
