package dev.labelflight.flight.auth;

import dev.labelflight.engine.auth.UserDirectory;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.apache.arrow.flight.CallHeaders;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.FlightServer;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.auth2.Auth2Constants;
import org.apache.arrow.flight.auth2.AuthUtilities;
import org.apache.arrow.flight.auth2.CallHeaderAuthenticator;
import org.apache.arrow.flight.auth2.GeneratedBearerTokenAuthenticator;

/**
 * Flight's header authentication for LabelFlight users: every call carries {@code authorization: Bearer
 * TOKEN}, either the user's configured API token or one this server issued after a basic-auth handshake
 * ({@code authorization: Basic base64(USER:TOKEN)}, answered with a bearer header, as
 * {@code pyarrow.flight.FlightClient.authenticate_basic_token} expects). The user becomes the call's
 * peer identity ({@code CallContext.peerIdentity()}). Anything else fails with UNAUTHENTICATED, and once
 * the caller's address (or the user a handshake names, or the node) has had too many failures lately,
 * with RESOURCE_EXHAUSTED before anything is hashed ({@link dev.labelflight.engine.auth.AuthThrottle}).
 * Install it with {@link #install}, which also records each call's remote address.
 */
public final class FlightAuthenticator extends GeneratedBearerTokenAuthenticator {
  /** What a caller without valid credentials is told. */
  public static final String MISSING = "authentication required: send the header 'authorization: Bearer TOKEN'"
      + " (a LabelFlight user's API token) or a basic-auth handshake";
  public static final String INVALID = "invalid bearer token";

  private final UserDirectory users;
  private final byte[] nodeSecret;

  public FlightAuthenticator(UserDirectory users) {
    this(users, null);
  }

  /**
   * {@code nodeSecret}: the credential the nodes of a cluster share; a call carrying it in
   * {@link dev.labelflight.flight.cluster.NodeClients#NODE_HEADER} is another node's, acting for the user
   * in {@link dev.labelflight.flight.cluster.NodeClients#USER_HEADER} (or for itself, without one).
   */
  public FlightAuthenticator(UserDirectory users, String nodeSecret) {
    super(new BasicAuth(users));
    this.users = users;
    this.nodeSecret = nodeSecret == null ? null : nodeSecret.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Makes {@code builder}'s server authenticate every call with a {@link FlightAuthenticator} of
   * {@code users} and {@code nodeSecret}, throttled per remote address (it sets the transport hint
   * {@code grpc.builderConsumer}).
   */
  public static FlightServer.Builder install(FlightServer.Builder builder, UserDirectory users, String nodeSecret) {
    java.util.function.Consumer<io.grpc.netty.NettyServerBuilder> tracer = grpc -> grpc.addStreamTracerFactory(PeerAddress.TRACER);
    return builder.headerAuthenticator(new FlightAuthenticator(users, nodeSecret))
        .transportHint("grpc.builderConsumer", tracer);
  }

  @Override
  public AuthResult authenticate(CallHeaders headers) {
    String presented = headers.get(dev.labelflight.flight.cluster.NodeClients.NODE_HEADER);
    if (presented == null) {
      return super.authenticate(headers);
    }
    if (nodeSecret == null
        || !java.security.MessageDigest.isEqual(nodeSecret, presented.getBytes(StandardCharsets.UTF_8))) {
      throw CallStatus.UNAUTHENTICATED.withDescription("invalid node credential").toRuntimeException();
    }
    String user = headers.get(dev.labelflight.flight.cluster.NodeClients.USER_HEADER);
    String identity = user == null ? "" : user;
    return () -> identity;
  }

  /** A token issued by a handshake (a map lookup) first, then the users' API tokens (hashed, remembered once matched). */
  @Override
  protected AuthResult validateBearer(String token) {
    try {
      return super.validateBearer(token);
    } catch (FlightRuntimeException notIssued) {
      String user = accept(users.check(token, PeerAddress.current()), INVALID);
      return () -> user;
    }
  }

  /** The user of an authenticated outcome; UNAUTHENTICATED {@code invalid}, or RESOURCE_EXHAUSTED when throttled. */
  private static String accept(UserDirectory.Outcome outcome, String invalid) {
    if (outcome instanceof UserDirectory.Outcome.Authenticated a) {
      return a.user();
    }
    if (outcome instanceof UserDirectory.Outcome.Throttled t) {
      throw CallStatus.RESOURCE_EXHAUSTED.withDescription(t.refusal().message()).toRuntimeException();
    }
    throw CallStatus.UNAUTHENTICATED.withDescription(invalid).toRuntimeException();
  }

  /** Basic auth: the user name and its API token; the parent then issues a bearer token for the session. */
  private record BasicAuth(UserDirectory users) implements CallHeaderAuthenticator {
    @Override
    public AuthResult authenticate(CallHeaders headers) {
      String encoded = AuthUtilities.getValueFromAuthHeader(headers, Auth2Constants.BASIC_PREFIX);
      if (encoded == null) {
        throw CallStatus.UNAUTHENTICATED.withDescription(MISSING).toRuntimeException();
      }
      String decoded;
      try {
        decoded = new String(Base64.getDecoder().decode(encoded.trim()), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw CallStatus.UNAUTHENTICATED.withDescription("malformed basic credentials").toRuntimeException();
      }
      int colon = decoded.indexOf(':');
      if (colon < 0) {
        throw CallStatus.UNAUTHENTICATED.withDescription("malformed basic credentials").toRuntimeException();
      }
      String user = accept(users.check(decoded.substring(0, colon), decoded.substring(colon + 1), PeerAddress.current()),
          "invalid user name or token");
      return () -> user;
    }
  }
}
