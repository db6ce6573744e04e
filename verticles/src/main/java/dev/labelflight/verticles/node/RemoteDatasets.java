package dev.labelflight.verticles.node;

import dev.labelflight.engine.store.ChunkSource;
import dev.labelflight.engine.store.Manifest;

/**
 * Datasets owned by other nodes, as this node reads them to run borrowed chunk tasks: manifests and
 * chunks fetched from the owner's Flight endpoint and kept in a local cache. Blocking.
 */
public interface RemoteDatasets {
  /** The manifest of {@code dataset} v{@code version} on the node whose Flight endpoint is {@code ownerFlight}. */
  Manifest manifest(String ownerFlight, String dataset, int version);

  /** Chunks of that node's datasets: from the local cache, else fetched (ticket {@code chunk/NAME@V/I}) and cached. */
  ChunkSource chunks(String ownerFlight);

  /** A node alone has no remote datasets. */
  RemoteDatasets NONE = new RemoteDatasets() {
    @Override
    public Manifest manifest(String ownerFlight, String dataset, int version) {
      throw new IllegalStateException("this node is not clustered: no remote datasets");
    }

    @Override
    public ChunkSource chunks(String ownerFlight) {
      throw new IllegalStateException("this node is not clustered: no remote datasets");
    }
  };
}
