package dev.labelflight.flight.cluster;

import dev.labelflight.cluster.ClusterDirectory.NodeInfo;
import dev.labelflight.flight.FlightTraffic;
import dev.labelflight.flight.stream.StreamOut;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.flight.Action;
import org.apache.arrow.flight.CallOption;
import org.apache.arrow.flight.CallOptions;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.Criteria;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightProducer.CallContext;
import org.apache.arrow.flight.FlightProducer.ServerStreamListener;
import org.apache.arrow.flight.FlightProducer.StreamListener;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.PutResult;
import org.apache.arrow.flight.Result;
import org.apache.arrow.flight.SyncPutListener;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.ArrowBuf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls served by another node, passed through for the user who made them: an upload to the dataset's
 * home node, an action, a stream, a FlightInfo, and the other nodes' own listings. Blocking.
 */
public final class Relay {
  /** ListFlights criteria that asks a node for its own datasets only (nodes list each other with it). */
  public static final String LOCAL_LISTING = "local";
  private static final Logger LOG = LoggerFactory.getLogger(Relay.class);
  private static final long READY_POLL_MS = 2;

  private final NodeClients clients;
  private final FlightTraffic traffic;
  private final long callTimeoutMs;

  public Relay(NodeClients clients, FlightTraffic traffic, long callTimeoutMs) {
    this.clients = clients;
    this.traffic = traffic;
    this.callTimeoutMs = callTimeoutMs;
  }

  /** Relays an upload to the node that owns the dataset, and its acknowledgement back. */
  public void put(NodeInfo owner, String user, CallContext context, FlightStream stream,
      StreamListener<PutResult> ackStream, UploadBatches batches) throws Exception {
    SyncPutListener ack = new SyncPutListener();
    FlightClient.ClientStreamListener out = clients.client(owner.flight()).startPut(stream.getDescriptor(),
        stream.getRoot(), stream.getDictionaryProvider(), ack, clients.options(user));
    try {
      while (batches.next()) {
        if (context.isCancelled()) {
          throw CallStatus.CANCELLED.withDescription("upload cancelled by the client").toRuntimeException();
        }
        while (!out.isReady()) {
          Thread.sleep(READY_POLL_MS);
        }
        traffic.received(stream.getRoot());
        out.putNext();
      }
      out.completed();
    } catch (Throwable t) {
      out.error(t);
      throw t;
    }
    try (PutResult result = ack.read()) {
      if (result != null && result.getApplicationMetadata() != null) {
        ArrowBuf meta = result.getApplicationMetadata();
        meta.getReferenceManager().retain();
        try (PutResult copy = PutResult.metadata(meta)) {
          ackStream.onNext(copy);
        }
      }
    }
    ack.getResult();
    ackStream.onCompleted();
  }

  /** The next batch of an upload, in the stream's root; false at the end. */
  @FunctionalInterface
  public interface UploadBatches {
    boolean next() throws Exception;
  }

  /** Relays an action and its results (or its error) as they come. */
  public void action(NodeInfo to, String user, Action action, StreamListener<Result> listener) {
    try {
      var results = clients.client(to.flight()).doAction(action, clients.options(user, timeout()));
      while (results.hasNext()) {
        listener.onNext(results.next());
      }
      listener.onCompleted();
    } catch (FlightRuntimeException e) {
      listener.onError(e);
    }
  }

  /** Streams another node's answer to a ticket through, batch by batch, at the pace of our client. */
  public void stream(NodeInfo from, String user, Ticket ticket, ServerStreamListener listener) throws Exception {
    try (FlightStream in = clients.client(from.flight()).getStream(ticket, clients.options(user))) {
      StreamOut out = new StreamOut(listener, traffic);
      out.start(in.getRoot(), in.getDictionaryProvider());
      while (in.next()) {
        if (!out.awaitReady()) {
          in.cancel("the client went away", null);
          return;
        }
        out.putNext();
      }
      out.completed();
    }
  }

  /** Another node's FlightInfo for a descriptor it serves. */
  public FlightInfo info(NodeInfo home, String user, FlightDescriptor descriptor) {
    return clients.client(home.flight()).getInfo(descriptor, clients.options(user, timeout()));
  }

  /** The datasets the other nodes store for {@code user}; a node that does not answer is left out (logged). */
  public List<FlightInfo> listOthers(List<NodeInfo> others, String user) {
    List<FlightInfo> all = new ArrayList<>();
    for (NodeInfo other : others) {
      try {
        for (FlightInfo info : clients.client(other.flight()).listFlights(
            new Criteria(LOCAL_LISTING.getBytes(StandardCharsets.UTF_8)), clients.options(user, timeout()))) {
          all.add(info);
        }
      } catch (FlightRuntimeException e) {
        LOG.warn("listing of node {} left out: {}", other.nodeId(), e.getMessage());
      }
    }
    return all;
  }

  private CallOption timeout() {
    return CallOptions.timeout(callTimeoutMs, TimeUnit.MILLISECONDS);
  }
}
