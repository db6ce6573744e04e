package dev.labelflight.flight.auth;

import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerStreamTracer;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The address a Flight call comes from, for throttling wrong credentials per address. Flight's header
 * authenticators see only the headers, and Flight's own interceptor runs before any a server may add, so
 * this is a gRPC stream tracer: it puts an empty holder into each call's gRPC {@link Context} when the call's
 * context is made, fills it with the transport's remote address when the call starts (both before any
 * interceptor runs), and {@link FlightAuthenticator} reads it. Behind a proxy this is the proxy's address.
 */
final class PeerAddress extends ServerStreamTracer.Factory {
  static final PeerAddress TRACER = new PeerAddress();
  private static final Context.Key<AtomicReference<String>> ADDRESS = Context.key("labelflight-peer-address");

  private PeerAddress() {}

  @Override
  public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
    AtomicReference<String> holder = new AtomicReference<>();
    return new ServerStreamTracer() {
      @Override
      public Context filterContext(Context context) {
        return context.withValue(ADDRESS, holder);
      }

      @Override
      public void serverCallStarted(ServerCallInfo<?, ?> info) {
        SocketAddress remote = info.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        if (remote instanceof InetSocketAddress inet && inet.getAddress() != null) {
          holder.set(inet.getAddress().getHostAddress());
        }
      }
    };
  }

  /** The current call's remote address (IP), or null when unknown. */
  static String current() {
    AtomicReference<String> holder = ADDRESS.get();
    return holder == null ? null : holder.get();
  }
}
