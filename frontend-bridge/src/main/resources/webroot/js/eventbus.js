// A minimal client of the Vert.x event-bus bridge over the SockJS server's raw WebSocket transport
// (/eventbus/websocket): JSON frames {type: send|register|unregister|ping, address, body, replyAddress}
// out, {type: rec|err, address, body | failureCode, failureType, message} in. Every outgoing frame carries
// the user's token in its headers ({authorization: 'Bearer TOKEN'}): browsers cannot set headers on a
// WebSocket, so the bridge authenticates each frame (failure code 401 without a valid token).

const PING_MS = 5000;

/** A request that failed on the server or in the bridge; failureType NO_HANDLERS means no service listens. */
export class BusError extends Error {
  constructor(message, failureCode, failureType) {
    super(message);
    this.failureCode = failureCode;
    this.failureType = failureType;
  }
}

export class EventBus {
  constructor(url) {
    this.url = url;
    this.token = null;
    this.pending = new Map();
    this.handlers = new Map();
    this.onstatus = () => {};
    this.onerror = () => {};
    this.ready = this.connect();
  }

  connect() {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(this.url);
      // The raw transport may send binary frames: read them as UTF-8 text.
      socket.binaryType = 'arraybuffer';
      this.socket = socket;
      socket.onopen = () => {
        this.ping = setInterval(() => this.write({type: 'ping'}), PING_MS);
        this.onstatus('connected');
        resolve(this);
      };
      const decoder = new TextDecoder();
      socket.onmessage = (event) => this.receive(JSON.parse(
          typeof event.data === 'string' ? event.data : decoder.decode(event.data)));
      socket.onclose = () => {
        clearInterval(this.ping);
        for (const [, p] of this.pending) {
          p.reject(new BusError('connection to the server closed', -1, 'CLOSED'));
        }
        this.pending.clear();
        this.onstatus('disconnected');
        reject(new BusError('cannot connect to ' + this.url, -1, 'CLOSED'));
      };
    });
  }

  write(frame) {
    if (this.token && frame.type !== 'ping') {
      frame.headers = {authorization: 'Bearer ' + this.token};
    }
    if (this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(frame));
    }
  }

  receive(frame) {
    const waiting = frame.address && this.pending.get(frame.address);
    if (waiting) {
      this.pending.delete(frame.address);
      clearTimeout(waiting.timer);
      if (frame.type === 'err') {
        waiting.reject(new BusError(frame.message, frame.failureCode, frame.failureType));
      } else {
        waiting.resolve(frame.body);
      }
      return;
    }
    if (frame.type === 'err') {
      // Bridge errors without a reply address ("rejected", "access_denied").
      this.onerror(new BusError('bridge: ' + (frame.body || frame.message), frame.failureCode, 'BRIDGE'));
      return;
    }
    const handlers = this.handlers.get(frame.address);
    if (handlers) {
      handlers.forEach((h) => h(frame.body));
    }
  }

  /** Sends a request; resolves with the reply body, rejects with a BusError. */
  request(address, body, timeoutMs = 60000) {
    const replyAddress = uuid();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(replyAddress);
        reject(new BusError('no answer from ' + address + ' in ' + timeoutMs + ' ms', -1, 'TIMEOUT'));
      }, timeoutMs);
      this.pending.set(replyAddress, {resolve, reject, timer});
      this.write({type: 'send', address, body, replyAddress});
    });
  }

  /** Listens on an address (job progress); returns a function that stops listening. */
  listen(address, handler) {
    let set = this.handlers.get(address);
    if (!set) {
      set = new Set();
      this.handlers.set(address, set);
      this.write({type: 'register', address});
    }
    set.add(handler);
    return () => {
      set.delete(handler);
      if (set.size === 0) {
        this.handlers.delete(address);
        this.write({type: 'unregister', address});
      }
    };
  }
}

/** A random 36-character id; crypto.randomUUID exists only in secure contexts. */
function uuid() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The bridge of the page's own server. */
export function connect() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return new EventBus(scheme + '//' + location.host + '/eventbus/websocket');
}
