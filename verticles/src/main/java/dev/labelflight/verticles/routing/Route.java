package dev.labelflight.verticles.routing;

/**
 * Where a job runs and why ({@code reason} is what {@code job_status.route} shows; for {@code REMOTE} it
 * says why not here, and the router adds the node it picked).
 *
 * @param kind the task queue, a resident copy here, another node's copy, or refused
 * @param copy what to do about a resident copy: use the ready one, wait for the one that loads, load one
 *     (then run there), load one for next time (the job itself runs on the queue or, for {@code REMOTE},
 *     on the queue meanwhile), or nothing
 * @param fallback what to do when this route cannot be carried out (no memory within the admission wait,
 *     no other node with room); null when there is nothing else to try
 */
public record Route(Kind kind, CopyAction copy, String reason, Route fallback) {

  /** The path a route takes. */
  public enum Kind { QUEUE, RESIDENT, REMOTE, REJECT }

  /** What the route does with a resident copy. */
  public enum CopyAction { NONE, USE, AWAIT, LOAD, LOAD_FOR_NEXT_TIME }

  static Route queue(String reason) {
    return new Route(Kind.QUEUE, CopyAction.NONE, reason, null);
  }

  static Route reject(String reason) {
    return new Route(Kind.REJECT, CopyAction.NONE, reason, null);
  }
}
