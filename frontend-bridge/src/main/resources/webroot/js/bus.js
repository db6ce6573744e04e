// The page's event bus: the official Vert.x event-bus bridge client (vendor/vertx-eventbus.js over SockJS,
// loaded as a classic script that defines the global EventBus) with what the page needs around it:
// - requests as promises with a timeout; a request made while the socket is down waits for the reconnect;
// - reconnect with backoff (the client's own), and listeners registered again after every reconnect (the
//   client forgets its handlers when the socket closes), then `onreconnect` hooks so callers catch up;
// - the user's token in every frame's headers (browsers cannot set headers on a WebSocket; the bridge
//   authenticates each frame and answers 401 without a valid token).

/** A request that failed on the server or in the bridge; failureType NO_HANDLERS means no service listens. */
export class BusError extends Error {
  constructor(message, failureCode, failureType) {
    super(message);
    this.failureCode = failureCode;
    this.failureType = failureType;
  }
}

const REQUEST_TIMEOUT_MS = 60000;

export class Bus {
  constructor(url) {
    this.url = url;
    this.token = null;
    this.listeners = new Map(); // address -> Set of handlers
    this.waiting = []; // requests made while the socket was down
    this.pending = new Set(); // requests sent and not answered: rejected when the socket closes
    this.onstatus = () => {};
    this.onerror = () => {};
    this.reconnectHooks = [];
    this.connects = 0;
    let opened;
    this.ready = new Promise((resolve) => { opened = resolve; });
    // WebSocket only: the server offers no other SockJS transport, and the iframe fallbacks would load
    // scripts from elsewhere.
    const eb = new EventBus(url, {vertxbus_reconnect_delay_min: 300, vertxbus_reconnect_delay_max: 3000,
      transports: ['websocket']});
    eb.enableReconnect(true);
    eb.onopen = () => {
      this.connects++;
      this.onstatus('connected');
      // Handlers live with the socket: register them again on a new one.
      for (const address of this.listeners.keys()) {
        this.register(address);
      }
      const queued = this.waiting.splice(0);
      queued.forEach((send) => send());
      if (this.connects > 1) {
        this.reconnectHooks.forEach((hook) => hook());
      }
      opened(this);
    };
    eb.onclose = () => {
      this.onstatus(eb.reconnectEnabled ? 'reconnecting' : 'disconnected');
      for (const p of [...this.pending]) {
        p.reject(new BusError('the connection to the server closed before the answer came', -1, 'CLOSED'));
      }
      this.pending.clear();
    };
    eb.onerror = (e) => this.onerror(new BusError('bridge: ' + (e.body || e.message || JSON.stringify(e)),
        e.failureCode, 'BRIDGE'));
    this.eb = eb;
  }

  get open() {
    return this.eb.state === EventBus.OPEN;
  }

  set token(value) {
    this._token = value;
    if (this.eb) {
      this.eb.defaultHeaders = value ? {authorization: 'Bearer ' + value} : null;
    }
  }

  get token() {
    return this._token;
  }

  /** Sends a request; resolves with the reply body, rejects with a BusError. */
  request(address, body, timeoutMs = REQUEST_TIMEOUT_MS) {
    this.eb.defaultHeaders = this._token ? {authorization: 'Bearer ' + this._token} : null;
    return new Promise((resolve, reject) => {
      const entry = {reject};
      const timer = setTimeout(() => {
        this.pending.delete(entry);
        reject(new BusError('no answer from ' + address + ' in ' + timeoutMs + ' ms', -1, 'TIMEOUT'));
      }, timeoutMs);
      entry.reject = (e) => {
        clearTimeout(timer);
        reject(e);
      };
      const send = () => {
        this.pending.add(entry);
        try {
          this.eb.send(address, body, (error, message) => {
            this.pending.delete(entry);
            clearTimeout(timer);
            if (error) {
              reject(new BusError(error.message || String(error.failureType), error.failureCode, error.failureType));
            } else {
              resolve(message.body);
            }
          });
        } catch (e) {
          this.pending.delete(entry);
          this.waiting.push(send); // the socket went down between the check and the send
        }
      };
      if (this.open) {
        send();
      } else {
        this.waiting.push(send);
      }
    });
  }

  /**
   * As {@link request}, asked again (once the socket is back) when the connection drops before the answer:
   * for reads and other requests that may safely run twice.
   */
  async requestAgain(address, body, attempts = 3) {
    for (let i = 1; ; i++) {
      try {
        return await this.request(address, body);
      } catch (e) {
        if (e.failureType !== 'CLOSED' || i >= attempts) {
          throw e;
        }
      }
    }
  }

  /** Listens on an address (job progress), across reconnects; returns a function that stops listening. */
  listen(address, handler) {
    let set = this.listeners.get(address);
    if (!set) {
      set = new Set();
      this.listeners.set(address, set);
      if (this.open) {
        this.register(address);
      }
    }
    set.add(handler);
    return () => {
      set.delete(handler);
      if (set.size === 0) {
        this.listeners.delete(address);
        if (this.open && this.eb.handlers[address]) {
          this.eb.unregisterHandler(address, this.dispatchers.get(address));
        }
        this.dispatchers.delete(address);
      }
    };
  }

  /** Calls {@code hook} after every reconnect (listeners are registered again first). */
  onreconnect(hook) {
    this.reconnectHooks.push(hook);
  }

  register(address) {
    this.dispatchers ??= new Map();
    let dispatch = this.dispatchers.get(address);
    if (!dispatch) {
      dispatch = (error, message) => {
        if (error) {
          this.onerror(new BusError(error.message || 'listening refused', error.failureCode, error.failureType));
          return;
        }
        (this.listeners.get(address) || []).forEach((h) => h(message.body));
      };
      this.dispatchers.set(address, dispatch);
    }
    this.eb.defaultHeaders = this._token ? {authorization: 'Bearer ' + this._token} : null;
    this.eb.registerHandler(address, dispatch);
  }
}

/** The bridge of the page's own server. */
export function connect() {
  return new Bus(location.origin + '/eventbus');
}
