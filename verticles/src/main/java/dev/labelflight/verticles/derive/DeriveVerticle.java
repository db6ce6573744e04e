package dev.labelflight.verticles.derive;

import dev.labelflight.engine.derive.DeriveRequest;
import dev.labelflight.engine.derive.DerivedColumnStore;
import dev.labelflight.verticles.bus.Addresses;
import dev.labelflight.verticles.bus.Caller;
import dev.labelflight.verticles.bus.BusErrors;
import dev.labelflight.verticles.node.NodeResources;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker verticle (deploy with {@code ThreadingModel.WORKER}) that computes derived columns on
 * {@link Addresses#DERIVE}: chunk by chunk, each under a reservation of the node's memory pool, through the labeler's
 * {@link DerivedColumnStore}. It blocks on disk and on the budget, which is what worker threads are for.
 */
public final class DeriveVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(DeriveVerticle.class);

  private final NodeResources node;

  public DeriveVerticle(NodeResources node) {
    this.node = node;
  }

  @Override
  public Future<?> start() {
    return vertx.eventBus().localConsumer(Addresses.DERIVE, this::onDerive).completion();
  }

  private void onDerive(Message<Object> message) {
    try {
      Object body = message.body();
      DeriveRequest parsed = DeriveRequest.parse(body instanceof JsonObject j ? j.encode() : String.valueOf(body));
      // The caller's own dataset (stored under its owner's name when authentication is on).
      DeriveRequest request = new DeriveRequest(Caller.dataset(message, parsed.dataset()), parsed.version(),
          parsed.name(), parsed.kind(), parsed.column(), parsed.pattern(), parsed.replace());
      DerivedColumnStore.Derived done = node.labeler().derived()
          .derive(request, node.memoryPool(), node.execution().memoryWait(), node.allocator(),
              node.execution().estimateScale());
      if (done.created()) {
        LOG.info("derived column {} ({} of {}) on {} v{}", request.name(), request.kind(), request.column(),
            done.manifest().name(), done.manifest().version());
      }
      message.reply(new JsonObject()
          .put("dataset", dev.labelflight.engine.store.DatasetNames.display(done.manifest().name()))
          .put("version", done.manifest().version())
          .put("column", done.column().name())
          .put("kind", done.column().kind())
          .put("source", done.column().source())
          .put("type", done.column().type().toString())
          .put("rows", done.manifest().rows())
          .put("created", done.created()));
    } catch (Throwable t) {
      BusErrors.fail(message, t);
    }
  }
}
