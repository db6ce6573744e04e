package dev.labelflight.flight;

import dev.labelflight.cluster.ClusterDirectory.NodeInfo;
import dev.labelflight.engine.error.LabelFlightException;
import dev.labelflight.flight.call.ActionSpec;
import dev.labelflight.flight.call.Admission;
import dev.labelflight.flight.call.Bodies;
import dev.labelflight.flight.call.Call;
import dev.labelflight.flight.call.CallSlots;
import dev.labelflight.flight.call.FlightErrors;
import dev.labelflight.flight.call.Home;
import dev.labelflight.flight.call.TicketSpec;
import dev.labelflight.flight.cluster.CallRouter;
import dev.labelflight.flight.cluster.Relay;
import dev.labelflight.flight.datasets.DatasetsHandler;
import dev.labelflight.flight.results.ResultsHandler;
import dev.labelflight.flight.stream.Streams;
import dev.labelflight.flight.upload.UploadHandler;
import dev.labelflight.verticles.bus.LabelFlightApi;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.arrow.flight.Action;
import org.apache.arrow.flight.ActionType;
import org.apache.arrow.flight.Criteria;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightProducer;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.PutResult;
import org.apache.arrow.flight.Result;
import org.apache.arrow.flight.Ticket;

/**
 * The Arrow Flight face of LabelFlight: it only dispatches. Each call is looked up once ({@link Call}),
 * sent to the node that serves it (a dataset's home node, a job's node) or to the handler of its family,
 * and any failure leaves through the one error mapping ({@link FlightErrors}). The families:
 * DoPut to {@link UploadHandler}; DoActions and DoGet tickets to the {@link ActionSpec}s and
 * {@link TicketSpec}s of the jobs, models, datasets, results and admin handlers; ListFlights and
 * GetFlightInfo to {@link DatasetsHandler} (and {@link ResultsHandler} for {@code ["labels", JOB]}).
 * Every call runs on Flight's executor or the stream pools, never on a Vert.x event loop, so it may block.
 */
public final class LabelFlightProducer implements FlightProducer, AutoCloseable {
  private final LabelFlightApi api;
  private final CallRouter router;
  private final Relay relay;
  private final Admission admission;
  private final CallSlots slots;
  /** Runs DoGet streams, apart from Flight's executor. */
  private final Streams streams;
  private final UploadHandler upload;
  private final DatasetsHandler datasets;
  private final ResultsHandler results;
  private final Map<String, ActionSpec> actions;
  private final List<TicketSpec> tickets;

  /**
   * @param actions every DoAction, in the order ListActions names them
   * @param tickets every DoGet ticket family (a ticket goes to the first whose prefix it starts with)
   */
  public LabelFlightProducer(LabelFlightApi api, CallRouter router, Relay relay, Admission admission, CallSlots slots,
      Streams streams,
      UploadHandler upload, DatasetsHandler datasets, ResultsHandler results, List<ActionSpec> actions,
      List<TicketSpec> tickets) {
    this.api = api;
    this.router = router;
    this.relay = relay;
    this.admission = admission;
    this.slots = slots;
    this.streams = streams;
    this.upload = upload;
    this.datasets = datasets;
    this.results = results;
    this.actions = actions.stream().collect(Collectors.toMap(ActionSpec::type, a -> a, (a, b) -> {
      throw new IllegalArgumentException("two actions named " + a.type());
    }, LinkedHashMap::new));
    this.tickets = List.copyOf(tickets);
  }

  /** From now on uploads and applies fail with UNAVAILABLE (graceful shutdown); reads keep working. */
  public void refuseNewWork() {
    admission.refuseNewWork();
  }

  // ---- DoPut ------------------------------------------------------------------------------------

  @Override
  public Runnable acceptPut(CallContext context, FlightStream stream, StreamListener<PutResult> ackStream) {
    return () -> {
      CallSlots.Slot slot;
      try {
        slot = slots.take();
      } catch (RuntimeException full) {
        ackStream.onError(FlightErrors.toFlight(full));
        return;
      }
      try (slot) {
        upload.put(Call.of(context, api), context, stream, ackStream);
      }
    };
  }

  // ---- DoAction ---------------------------------------------------------------------------------

  @Override
  public void doAction(CallContext context, Action action, StreamListener<Result> listener) {
    try (CallSlots.Slot slot = slots.take()) {
      Call call = Call.of(context, api);
      ActionSpec spec = actions.get(action.getType());
      if (spec == null) {
        throw LabelFlightException.invalid("unknown action '" + action.getType() + "' (known: "
            + String.join(", ", actions.keySet()) + ")");
      }
      String body = new String(action.getBody(), StandardCharsets.UTF_8);
      Optional<NodeInfo> home = switch (spec.home()) {
        case HERE -> Optional.empty();
        case DATASET -> datasetHome(call, Bodies.fieldOf(body, "dataset"));
        case JOB -> router.forJob(Bodies.fieldOf(body, "job"));
      };
      if (spec.newWork()) {
        admission.checkOpen();
      }
      if (home.isPresent()) {
        relay.action(home.get(), call.user(), action, listener);
        return;
      }
      listener.onNext(new Result(spec.body().run(call, body)));
      listener.onCompleted();
    } catch (Throwable t) {
      listener.onError(FlightErrors.toFlight(t));
    }
  }

  @Override
  public void listActions(CallContext context, StreamListener<ActionType> listener) {
    actions.values().forEach(a -> listener.onNext(a.actionType()));
    listener.onCompleted();
  }

  // ---- Listing ----------------------------------------------------------------------------------

  @Override
  public void listFlights(CallContext context, Criteria criteria, StreamListener<FlightInfo> listener) {
    try (CallSlots.Slot slot = slots.take()) {
      boolean localOnly = criteria != null && criteria.getExpression() != null
          && new String(criteria.getExpression(), StandardCharsets.UTF_8).equals(Relay.LOCAL_LISTING);
      datasets.list(Call.of(context, api), localOnly).forEach(listener::onNext);
      listener.onCompleted();
    } catch (Throwable t) {
      listener.onError(FlightErrors.toFlight(t));
    }
  }

  @Override
  public FlightInfo getFlightInfo(CallContext context, FlightDescriptor descriptor) {
    try (CallSlots.Slot slot = slots.take()) {
      Call call = Call.of(context, api);
      List<String> path = descriptor.isCommand() ? List.of() : descriptor.getPath();
      String family = path.isEmpty() ? "" : path.get(0);
      Optional<NodeInfo> home = path.size() < 2 ? Optional.empty()
          : family.equals("datasets") ? datasetHome(call, path.get(1))
          : family.equals("labels") ? router.forJob(path.get(1)) : Optional.empty();
      if (home.isPresent()) {
        return relay.info(home.get(), call.user(), descriptor);
      }
      return switch (family) {
        case "datasets" -> datasets.info(call, path);
        case "labels" -> results.info(call, descriptor);
        default -> throw LabelFlightException.invalid(
            "descriptor must be [\"datasets\", NAME(, VERSION)] or [\"labels\", JOB]");
      };
    } catch (Throwable t) {
      throw FlightErrors.toFlight(t);
    }
  }

  // ---- DoGet ------------------------------------------------------------------------------------

  @Override
  public void getStream(CallContext context, Ticket ticket, ServerStreamListener listener) {
    // A stream may wait for its job's chunks or its client for minutes: it holds no thread meanwhile
    // (Streams), so Flight's threads and the stream pool stay free for other users.
    String text = new String(ticket.getBytes(), StandardCharsets.UTF_8);
    try {
      Call call = Call.of(context, api);
      TicketSpec spec = tickets.stream().filter(t -> text.startsWith(t.prefix())).findFirst()
          .orElseThrow(() -> LabelFlightException.invalid("unknown ticket '" + text + "' (known: "
              + tickets.stream().filter(TicketSpec::counted).map(TicketSpec::usage).collect(Collectors.joining(", ")) + ")"));
      String rest = text.substring(spec.prefix().length());
      Optional<NodeInfo> home = streamHome(call, spec, rest);
      if (home.isPresent()) {
        streams.serve(listener, call.user(), spec.counted(), true, () -> relay.stream(home.get(), call.user(), ticket));
      } else {
        streams.serve(listener, call.user(), spec.counted(), false, () -> spec.stream().open(call, rest));
      }
    } catch (Throwable t) {
      listener.error(FlightErrors.toFlight(t));
    }
  }

  /** The other node that serves a ticket: a job's node for labels and model outputs, a dataset's home for its data. */
  private Optional<NodeInfo> streamHome(Call call, TicketSpec spec, String rest) {
    String key = spec.homeKey(rest);
    if (key == null) {
      return Optional.empty();
    }
    return spec.home() == Home.JOB ? router.forJob(key) : router.forDataset(call.dataset(key));
  }

  /** The other node that owns the caller's dataset {@code name}; empty for here, or if the name is bad (the local call says why). */
  private Optional<NodeInfo> datasetHome(Call call, String name) {
    if (name == null || !router.clustered()) {
      return Optional.empty();
    }
    try {
      return router.forDataset(call.dataset(name));
    } catch (LabelFlightException badName) {
      return Optional.empty();
    }
  }

  @Override
  public void close() {
  }
}
