package dev.labelflight.verticles.node;

import dev.labelflight.engine.store.ChunkSource;
import dev.labelflight.engine.store.Manifest;

/**
 * Datasets whose home is another node, as this node reads them to run borrowed chunk tasks: manifests and
 * chunks fetched from their home node's Flight endpoint and kept in a local cache. Blocking.
 */
public interface RemoteDatasets {
  /** The manifest of {@code dataset} v{@code version} on the node whose Flight endpoint is {@code homeFlight}. */
  Manifest manifest(String homeFlight, String dataset, int version);

  /** Chunks of that node's datasets: from the local cache, else fetched (ticket {@code chunk/NAME@V/I}) and cached. */
  ChunkSource chunks(String homeFlight);

  /** A node alone has no remote datasets. */
  RemoteDatasets NONE = new RemoteDatasets() {
    @Override
    public Manifest manifest(String homeFlight, String dataset, int version) {
      throw new IllegalStateException("this node is not clustered: no remote datasets");
    }

    @Override
    public ChunkSource chunks(String homeFlight) {
      throw new IllegalStateException("this node is not clustered: no remote datasets");
    }
  };
}
