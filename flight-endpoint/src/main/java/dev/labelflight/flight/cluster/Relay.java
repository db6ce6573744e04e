package dev.labelflight.flight.cluster;

import dev.labelflight.cluster.ClusterDirectory.NodeInfo;
import dev.labelflight.flight.FlightTraffic;
import dev.labelflight.flight.stream.Batches;
import dev.labelflight.flight.stream.StreamBody;
import dev.labelflight.flight.stream.StreamOut;
import io.reactivex.rxjava3.core.Flowable;
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

  /**
   * Another node's answer to a ticket, passed through batch by batch at the pace of our client: reading the
   * other node's next batch blocks (run it on the relay pool); waiting for our client does not.
   */
  public StreamBody<?> stream(NodeInfo from, String user, Ticket ticket) {
    FlightStream in = clients.client(from.flight()).getStream(ticket, clients.options(user));
    return new StreamBody<Integer>() {
      private boolean done;

      @Override
      public void start(StreamOut out) {
        out.start(in.getRoot(), in.getDictionaryProvider());
      }

      @Override
      public Flowable<Integer> units() {
        return Flowable.just(0);
      }

      @Override
      public Batches open(Integer unit) {
        return out -> {
          if (!in.next()) {
            done = true;
            return false;
          }
          out.putNext();
          return true;
        };
      }

      @Override
      public void close() {
        try {
          if (!done) {
            in.cancel("the stream ended on this node", null);
          }
          in.close();
        } catch (Exception e) {
          LOG.debug("relayed stream closed: {}", e.toString());
        }
      }
    };
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
