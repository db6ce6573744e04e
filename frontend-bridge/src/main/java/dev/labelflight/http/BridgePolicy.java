package dev.labelflight.http;

import dev.labelflight.verticles.bus.Addresses;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What the browser may do on the event bus: send to the API addresses the UI needs, listen to job
 * progress, and nothing else; message bodies are capped. The same rules go into the bridge's permitted
 * lists and into the bridge-event check that answers a refused request with a clear error.
 */
public final class BridgePolicy {
  /** Addresses a browser may send requests to. */
  public static final List<String> REQUEST_ADDRESSES = List.of(
      Addresses.APPLY, Addresses.JOB_STATUS, Addresses.CANCEL, Addresses.ANALYSIS, Addresses.FIT_LABEL_MODEL,
      Addresses.DATASETS, Addresses.SAMPLE, Addresses.LFSETS_GET, Addresses.LFSETS_PUT, Addresses.EXAMPLES,
      Addresses.COVERAGE, Addresses.REVIEW_ROWS, Addresses.SEARCH, Addresses.DEVSET_GET, Addresses.DEVSET_PUT,
      Addresses.DEVSET_NEXT, Addresses.LFSETS_HISTORY, Addresses.MODELS, Addresses.LABEL_MODEL);
  private static final Pattern JOB_ADDRESS = Pattern.compile(Addresses.JOB_ADDRESS_REGEX);

  private final int maxBodyBytes;

  public BridgePolicy(int maxBodyBytes) {
    if (maxBodyBytes < 1024) {
      throw new IllegalArgumentException("bridge maxBodyBytes must be at least 1024: " + maxBodyBytes);
    }
    this.maxBodyBytes = maxBodyBytes;
  }

  public int maxBodyBytes() {
    return maxBodyBytes;
  }

  /** Bridge options with exactly these permissions: requests in, job progress and replies out. */
  public SockJSBridgeOptions bridgeOptions(long replyTimeoutMs) {
    SockJSBridgeOptions options = new SockJSBridgeOptions()
        .setReplyTimeout(replyTimeoutMs)
        .setMaxHandlersPerSocket(64);
    for (String address : REQUEST_ADDRESSES) {
      options.addInboundPermitted(new PermittedOptions().setAddress(address));
    }
    // Registering a handler is checked against the outbound list; browsers never send to job addresses.
    options.addOutboundPermitted(new PermittedOptions().setAddressRegex(Addresses.JOB_ADDRESS_REGEX));
    return options;
  }

  /** Why a browser message to {@code address} of {@code bodyBytes} is refused, or null if allowed. */
  public String sendRefusal(String address, int bodyBytes) {
    if (address == null || !REQUEST_ADDRESSES.contains(address)) {
      return "address '" + abbreviate(address) + "' is not open to browsers";
    }
    if (bodyBytes > maxBodyBytes) {
      return "message of " + bodyBytes + " bytes is larger than the bridge limit of " + maxBodyBytes + " bytes";
    }
    return null;
  }

  /** Why listening on {@code address} is refused, or null if allowed. */
  public String registerRefusal(String address) {
    return address != null && JOB_ADDRESS.matcher(address).matches()
        ? null : "address '" + abbreviate(address) + "' is not open to browsers";
  }

  private static String abbreviate(String address) {
    return address == null ? "null" : address.length() > 80 ? address.substring(0, 80) + "..." : address;
  }
}
