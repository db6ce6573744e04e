package dev.labelflight.pyworkers;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Unix socket that forked workers connect back to (in the pool's private 0700 directory). A worker's first
 * frame names the one-time token its fork request carried; the connection goes to whoever waits for it, any
 * other is closed.
 */
final class WorkerListener implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerListener.class);

  /** A worker's connection: its streams and pid. */
  record Connection(SocketChannel channel, DataInputStream in, DataOutputStream out, long pid) {}

  private final Path path;
  private final ServerSocketChannel server;
  private final Map<String, CompletableFuture<Connection>> expected = new ConcurrentHashMap<>();
  private final Thread acceptor;

  WorkerListener(Path path) throws IOException {
    this.path = path;
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(path));
    acceptor = new Thread(this::acceptLoop, "python-worker-listener");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  Path path() {
    return path;
  }

  /** The connection of the worker that will present {@code token}. */
  CompletableFuture<Connection> expect(String token) {
    CompletableFuture<Connection> f = new CompletableFuture<>();
    expected.put(token, f);
    f.whenComplete((c, e) -> expected.remove(token));
    return f;
  }

  private void acceptLoop() {
    while (server.isOpen()) {
      SocketChannel channel;
      try {
        channel = server.accept();
      } catch (IOException e) {
        return;
      }
      // The hello is read off the accept thread, so that a process that connects and stays silent blocks nobody.
      Thread hello = new Thread(() -> greet(channel), "python-worker-hello");
      hello.setDaemon(true);
      hello.start();
    }
  }

  private void greet(SocketChannel channel) {
    try {
      DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Channels.newInputStream(channel), 1 << 16));
      DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16));
      Frame hello = Frame.read(in);
      CompletableFuture<Connection> waiting = expected.get(hello.header().path("token").asText(""));
      if (waiting == null || !waiting.complete(new Connection(channel, in, out, hello.header().path("pid").asLong()))) {
        LOG.warn("closing a worker connection with an unknown token");
        channel.close();
      }
    } catch (IOException e) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    expected.values().forEach(f -> f.completeExceptionally(new IOException("worker pool closed")));
  }
}
