package dev.labelflight.http.transfer;

import dev.labelflight.engine.error.LabelFlightException;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An HTTP request body as a blocking {@link InputStream} for a worker thread, with back-pressure: the
 * request is paused while more than {@link #HIGH_WATER} bytes wait to be read and resumed below
 * {@link #LOW_WATER}, so a fast client never fills memory and TCP slows it to the pace of the parser. A body
 * longer than {@code maxBytes} fails the read (RESOURCE_EXHAUSTED naming the limit); a client that sends
 * nothing for {@code stallMs} fails it too (TIMED_OUT). Handlers run on the request's event loop; reads on
 * one worker.
 */
final class BodyPipe extends InputStream {
  static final long HIGH_WATER = 1 << 20;
  static final long LOW_WATER = 256 << 10;
  private static final Object END = new Object();

  private final HttpServerRequest request;
  private final Context context;
  private final long maxBytes;
  private final long stallMs;
  private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
  private final AtomicLong queued = new AtomicLong();
  private volatile boolean paused;
  private volatile boolean closed;
  private long received;
  private Buffer current;
  private int position;
  private boolean readEnd;
  /** Whether the whole body has arrived (set on the event loop). */
  private volatile boolean ended;

  BodyPipe(HttpServerRequest request, Context context, long maxBytes, long stallMs) {
    this.request = request;
    this.context = context;
    this.maxBytes = maxBytes;
    this.stallMs = stallMs;
  }

  /** Starts taking the body; call on the request's event loop, once. */
  void start() {
    request.handler(buffer -> {
      if (closed) {
        return;
      }
      received += buffer.length();
      if (received > maxBytes) {
        closed = true;
        queue.add(LabelFlightException.exhausted("the upload is larger than http.maxUploadBytes (" + maxBytes + " bytes)")
            .withDetail(LabelFlightException.Detail.LIMIT, maxBytes));
        return;
      }
      queue.add(buffer);
      if (queued.addAndGet(buffer.length()) > HIGH_WATER && !paused) {
        paused = true;
        request.pause();
      }
    });
    request.endHandler(v -> {
      ended = true;
      queue.add(END);
    });
    request.exceptionHandler(e -> queue.add(new IOException("the upload connection failed: " + e.getMessage(), e)));
    request.resume();
  }

  /** Whether the request's body has ended (the client sent all of it). */
  boolean ended() {
    return ended;
  }

  /** Bytes of body received so far. */
  long received() {
    return received;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] into, int offset, int length) throws IOException {
    if (length == 0) {
      return 0;
    }
    while (current == null || position == current.length()) {
      if (readEnd) {
        return -1;
      }
      Object next;
      try {
        next = queue.poll(stallMs, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("upload interrupted", e);
      }
      if (next == null) {
        throw new LabelFlightException(LabelFlightException.Kind.TIMED_OUT, "the upload stalled: nothing arrived for "
            + stallMs + " ms");
      }
      if (next == END) {
        readEnd = true;
        return -1;
      }
      if (next instanceof LabelFlightException e) {
        throw e;
      }
      if (next instanceof IOException e) {
        throw e;
      }
      current = (Buffer) next;
      position = 0;
      if (queued.addAndGet(-current.length()) < LOW_WATER && paused) {
        paused = false;
        context.runOnContext(v -> request.resume());
      }
    }
    int n = Math.min(length, current.length() - position);
    current.getBytes(position, position + n, into, offset);
    position += n;
    return n;
  }

  /** Stops taking the body (after a failure): later buffers are dropped. */
  @Override
  public void close() {
    closed = true;
    queue.clear();
  }
}
