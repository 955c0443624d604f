// The one WebSocket to Linli (docs/protocol.md): JSON frames (`linli.v1.json`), answers matched
// to requests by `ref`, a ping every 30 s, and reconnecting with backoff and jitter.
//
// JSON, not msgpack: the browser parses JSON natively and the frames are small; msgpack would add
// a decoder to the page for no measured gain.

const PING_EVERY_MS = 30000;
const PONG_WITHIN_MS = 10000;
const ANSWER_WITHIN_MS = 15000;
const BACKOFF_MAX_S = 60;

/** Seconds before reconnect attempt ``n`` (0, 1, …): 1, 2, 4 … 60, each ± 50 %. */
export function backoffSeconds(n) {
  const base = Math.min(BACKOFF_MAX_S, 2 ** n);
  return base * (0.5 + Math.random());
}

export class Connection {
  /**
   * @param {string} url ws(s) URL of /ws/v1
   * @param {{frame: Function, status: Function, opened: Function, closed: Function}} on
   */
  constructor(url, on) {
    this.url = url;
    this.on = on;
    this.ws = null;
    this.waiting = new Map(); // ref → {resolve, reject, timer}
    this.serial = 0;
    this.attempt = 0;
    this.stopped = false;
    this.retryTimer = null;
    this.pingTimer = null;
    this.pongTimer = null;
    window.addEventListener("online", () => this.reconnectNow());
  }

  get live() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN && this.welcomed;
  }

  connect() {
    clearTimeout(this.retryTimer);
    if (this.stopped) return;
    this.welcomed = false;
    this.on.status("connecting");
    const ws = new WebSocket(this.url, ["linli.v1.json"]);
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
    };
    ws.onmessage = (event) => {
      if (ws !== this.ws) return;
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      this.received(frame);
    };
    ws.onclose = (event) => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.welcomed = false;
      clearInterval(this.pingTimer);
      clearTimeout(this.pongTimer);
      this.failWaiting();
      this.on.status("offline");
      this.on.closed(event.code, opened);
      if (event.code === 4003 || event.code === 4001) {
        this.stopped = true; // removed, or logged out elsewhere: no point reconnecting
        return;
      }
      // Too many sockets: another tab holds ours; wait longer before trying again.
      const extra = event.code === 4029 ? 4 : 0;
      this.retryTimer = setTimeout(() => this.connect(), backoffSeconds(this.attempt + extra) * 1000);
      this.attempt += 1;
    };
  }

  /** Called when the network comes back: try at once instead of waiting out the backoff. */
  reconnectNow() {
    if (this.ws === null && !this.stopped) this.connect();
  }

  received(frame) {
    if (frame.type === "welcome") {
      this.welcomed = true;
      this.attempt = 0;
      this.startPings();
      this.on.status("live");
    }
    if (frame.type === "pong") clearTimeout(this.pongTimer);
    const ref = frame.ref;
    if (ref !== undefined && this.waiting.has(ref)) {
      const { resolve, reject, timer } = this.waiting.get(ref);
      clearTimeout(timer);
      this.waiting.delete(ref);
      if (frame.type === "error") reject(frame);
      else resolve(frame);
      return;
    }
    this.on.frame(frame);
  }

  startPings() {
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      this.send({ type: "ping" });
      clearTimeout(this.pongTimer);
      // A socket that no longer answers is dead even if the browser has not noticed yet.
      this.pongTimer = setTimeout(() => this.ws && this.ws.close(), PONG_WITHIN_MS);
    }, PING_EVERY_MS);
  }

  failWaiting() {
    for (const { reject, timer } of this.waiting.values()) {
      clearTimeout(timer);
      reject({ code: "disconnected" });
    }
    this.waiting.clear();
  }

  /** Send a frame that has no answer (read, typing, ping). */
  send(frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  /** Send a frame and wait for its answer (ack, ok, history, synced, knocked, issue) or error. */
  request(frame, timeoutMs = ANSWER_WITHIN_MS) {
    return new Promise((resolve, reject) => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
        reject({ code: "disconnected" });
        return;
      }
      this.serial += 1;
      const ref = `r${this.serial}`;
      const timer = setTimeout(() => {
        this.waiting.delete(ref);
        reject({ code: "timeout" });
      }, timeoutMs);
      this.waiting.set(ref, { resolve, reject, timer });
      this.ws.send(JSON.stringify({ ...frame, ref }));
    });
  }
}
