package dev.labelflight.verticles.resident;

import dev.labelflight.engine.memory.Reservation;
import dev.labelflight.engine.store.ChunkSource;
import dev.labelflight.engine.store.Manifest;
import dev.labelflight.verticles.node.NodeResources;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;

/** Loads copies as {@link ResidentDataset} worker verticles. */
public final class VerticleCopyLoader implements ResidentPool.CopyLoader {
  private final Vertx vertx;
  private final NodeResources node;

  public VerticleCopyLoader(Vertx vertx, NodeResources node) {
    this.vertx = vertx;
    this.node = node;
  }

  @Override
  public ResidentPool.CopyHandle start(Manifest manifest, Reservation reservation, ChunkSource source) {
    ResidentDataset verticle = new ResidentDataset(node, manifest, reservation, source);
    Future<String> deployment = vertx.deployVerticle(verticle,
        new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER));
    return new ResidentPool.CopyHandle() {
      @Override
      public Future<String> loaded() {
        return deployment.map(id -> verticle.address());
      }

      @Override
      public Future<Void> unload() {
        if (deployment.succeeded()) {
          return vertx.undeploy(deployment.result());
        }
        if (deployment.failed()) {
          return Future.succeededFuture();
        }
        // Still loading: Vert.x does not stop a deployment that has not completed, so stop its loader.
        return verticle.abandon();
      }
    };
  }
}
