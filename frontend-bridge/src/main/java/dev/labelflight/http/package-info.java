/**
 * The node's HTTP face: probes ({@code /health}, {@code /ready}: up/down to anyone, details to a user),
 * {@code /metrics} (a user's token), the SockJS event-bus bridge with its policy of open addresses and its
 * per-frame authentication ({@link dev.labelflight.http.BridgeAuth}), and the static web UI.
 */
package dev.labelflight.http;
