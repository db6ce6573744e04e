package dev.labelflight.flight.auth;

import org.apache.arrow.flight.CallHeaders;
import org.apache.arrow.flight.CallInfo;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.FlightClientMiddleware;
import org.apache.arrow.flight.auth2.Auth2Constants;

/**
 * Client side: sends {@code authorization: Bearer TOKEN} on every call of a Flight client
 * ({@code FlightClient.builder(...).intercept(new BearerToken(token))}); for tools, tests and node-to-node calls.
 */
public final class BearerToken implements FlightClientMiddleware.Factory {
  private final String header;

  public BearerToken(String token) {
    if (token == null || token.isBlank()) {
      throw new IllegalArgumentException("bearer token is empty");
    }
    this.header = Auth2Constants.BEARER_PREFIX + token;
  }

  @Override
  public FlightClientMiddleware onCallStarted(CallInfo info) {
    return new FlightClientMiddleware() {
      @Override
      public void onBeforeSendingHeaders(CallHeaders outgoingHeaders) {
        outgoingHeaders.insert(Auth2Constants.AUTHORIZATION_HEADER, header);
      }

      @Override
      public void onHeadersReceived(CallHeaders incomingHeaders) {
      }

      @Override
      public void onCallCompleted(CallStatus status) {
      }
    };
  }
}
