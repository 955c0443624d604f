// Protocol drivers: Linli (PROTOCOL.md, JSON subprotocol) and the three peers. Every driver
// reports deliveries to the Run, which does the counting (latency, loss, duplicates, order).
import WebSocket from 'ws';
import {
  Hist, Stream, newTally, nowUs, nowMs, makePayload, parseMarker, scanInt, frameType, HANZI60, log,
} from './lib.mjs';

const SEQ = Buffer.from('"seq":');
const ROOM = Buffer.from('"room":');
const REF = Buffer.from('"ref":');

// ---- the run: message registry, phases and tallies -----------------------------------------------
export class Run {
  constructor(cfg) {
    this.cfg = cfg;
    this.peer = cfg.peer;
    this.nonce = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
    this.cap = 1024;
    this.g = 0;
    this.sendTime = new Float64Array(this.cap);
    this.sendPhase = new Int32Array(this.cap);
    this.sendPort = new Int8Array(this.cap);
    this.recvCount = new Uint32Array(this.cap);
    this.ackSeq = new Float64Array(this.cap);
    this.phases = [];
    this.phase = -1;
    this.tallies = { all: newTally() };
    this.frames = new Map();
    this.errors = new Map();
    this.closes = new Map();
    this.roomLast = new Map(); // Linli: room -> highest seq known (acks and deliveries)
    this.pending = new Map(); // Linli: g -> {client, frame, attempts}
    this.sentBySender = new Map(); // peers: sender index -> messages sent
    this.delivered = 0; // live deliveries of run messages, all phases
    this.rxBytes = 0;
    this.rxFrames = 0;
    this.clients = [];
  }

  tally(group) {
    let t = this.tallies[group];
    if (!t) { t = newTally(); this.tallies[group] = t; }
    return t;
  }

  newPhase(name, extra = {}) {
    const p = {
      name, t0: nowMs(), t1: null, sent: 0, acked: 0, firstG: this.g, lastG: this.g,
      hists: { all: new Hist() }, ack: new Hist(), history: new Hist(), sync: new Hist(), ...extra,
    };
    this.phases.push(p);
    this.phase = this.phases.length - 1;
    return p;
  }

  endPhase() {
    const p = this.phases[this.phase];
    if (p && p.t1 === null) { p.t1 = nowMs(); p.lastG = this.g; }
    return p;
  }

  hist(p, group) {
    let h = p.hists[group];
    if (!h) { h = new Hist(); p.hists[group] = h; }
    return h;
  }

  nextG(port = 0) {
    if (this.g >= this.cap) {
      const grow = (A, a) => { const b = new A(this.cap * 2); b.set(a); return b; };
      this.sendTime = grow(Float64Array, this.sendTime);
      this.sendPhase = grow(Int32Array, this.sendPhase);
      this.sendPort = grow(Int8Array, this.sendPort);
      this.recvCount = grow(Uint32Array, this.recvCount);
      this.ackSeq = grow(Float64Array, this.ackSeq);
      this.cap *= 2;
    }
    const g = this.g++;
    this.sendPhase[g] = this.phase;
    this.sendPort[g] = port;
    const p = this.phases[this.phase];
    if (p) { p.sent++; p.lastG = this.g; }
    return g;
  }

  countFrame(type) { this.frames.set(type, (this.frames.get(type) || 0) + 1); }
  countError(code) { this.errors.set(code, (this.errors.get(code) || 0) + 1); }
  countClose(code, reason) {
    const k = `${code}${reason ? ` ${reason}` : ''}`;
    this.closes.set(k, (this.closes.get(k) || 0) + 1);
  }

  // A delivery of run message g (from the marker), latency from its send time in the payload.
  deliver(client, m, viaSync) {
    const g = m.g;
    if (g >= this.g) return; // not ours (another run's text in the room)
    this.recvCount[g]++;
    const pi = this.sendPhase[g];
    const p = this.phases[pi];
    if (!p) return;
    const lat = nowUs() - m.t;
    if (viaSync) { p.sync.add(lat); return; }
    this.delivered++;
    p.hists.all.add(lat);
    if (client.group !== 'all') this.hist(p, client.group).add(lat);
    if (this.cfg.ports && this.cfg.ports.length > 1) {
      this.hist(p, this.sendPort[g] === client.portIdx ? 'same_process' : 'cross_process').add(lat);
    }
  }

  onAck(g, seq, room) {
    if (g < 0 || g >= this.g) return;
    const pend = this.pending.get(g);
    if (!pend) return; // a duplicate ack
    this.pending.delete(g);
    this.ackSeq[g] = seq;
    const p = this.phases[this.sendPhase[g]];
    if (p) { p.acked++; p.ack.add(nowUs() - this.sendTime[g]); }
    if (room >= 0 && seq > (this.roomLast.get(room) || 0)) this.roomLast.set(room, seq);
    if (pend.resolve) pend.resolve(seq);
  }

  // Loss, duplicates and reordering for a set of clients, once traffic has stopped.
  account(clients) {
    const out = { clients: clients.length, lost: 0, lost_clients: 0 };
    const byRoom = new Map(); // peers: roomKey -> [[sender, sent], ...]
    if (this.peer !== 'linli') {
      for (const [sender, sent] of this.sentBySender) {
        const key = this.clients[sender].roomKey;
        if (!byRoom.has(key)) byRoom.set(key, []);
        byRoom.get(key).push([sender, sent]);
      }
    }
    for (const c of clients) {
      let lost = 0;
      if (this.peer === 'linli') {
        for (const [room, st] of c.streams) lost += st.lost(this.roomLast.get(room) || 0);
      } else {
        for (const [sender, sent] of byRoom.get(c.roomKey) || []) {
          const st = c.streams.get(sender);
          if (st) lost += st.lost(sent);
          else if (c.fromStart) lost += sent;
        }
      }
      out.lost += lost;
      if (lost) out.lost_clients++;
    }
    return out;
  }
}

// ---- drivers ------------------------------------------------------------------------------------
const WS_OPTS = { perMessageDeflate: false, skipUTF8Validation: true };

class Client {
  constructor(run, idx, spec) {
    this.run = run;
    this.idx = idx; // also the sender id in the peers' payload
    this.spec = spec; // {room (id or name), roomKey, token?, port, portIdx}
    this.roomKey = spec.roomKey;
    this.port = spec.port;
    this.portIdx = spec.portIdx || 0;
    this.group = 'all';
    this.streams = new Map();
    this.ws = null;
    this.ready = false;
    this.fromStart = true; // connected before any traffic (peers: loss counts from the 1st message)
    this.sentN = 0;
    this.messages = 0; // message frames received
    this.presence = 0;
    this.closeInfo = null;
    this.m = { t: 0, g: 0, s: 0, n: 0 };
    this.connects = 0;
    this.onClose = null;
  }

  get tally() { return this.run.tally(this.group); }

  url() { throw new Error('abstract'); }
  protocols() { return undefined; }
  wsOptions() { return WS_OPTS; }

  // Resolves with the time to ready (ms) or rejects with a reason.
  connect(timeoutMs = 30000) {
    const t0 = nowMs();
    this.ready = false;
    this.closeInfo = null;
    this.connects++;
    return new Promise((resolve, reject) => {
      let settled = false;
      const done = (err) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) { try { ws.terminate(); } catch { /* ignore */ } reject(err); } else resolve(nowMs() - t0);
      };
      const timer = setTimeout(() => done(new Error('timeout')), timeoutMs);
      let ws;
      try {
        ws = new WebSocket(this.url(), this.protocols(), { ...this.wsOptions(), handshakeTimeout: timeoutMs });
      } catch (e) { done(e); return; }
      this.ws = ws;
      this._ready = () => { this.ready = true; done(null); };
      ws.on('open', () => this.onOpen());
      ws.on('message', (data) => {
        this.run.rxBytes += data.length;
        this.run.rxFrames++;
        this.onFrame(data);
      });
      ws.on('unexpected-response', (req, res) => done(new Error(`http ${res.statusCode}`)));
      ws.on('error', (e) => done(new Error(e.code || e.message)));
      ws.on('close', (code, reason) => {
        const r = reason ? reason.toString() : '';
        this.closeInfo = { code, reason: r, at: nowMs() };
        if (this.ready) this.run.countClose(code, r);
        this.ready = false;
        done(new Error(`closed ${code} ${r}`));
        if (this.onClose) this.onClose(this, code, r);
      });
    });
  }

  onOpen() { this._ready(); }
  stream(key, init = null) {
    let st = this.streams.get(key);
    if (!st) { st = new Stream(init); this.streams.set(key, st); }
    return st;
  }

  close(code = 1000) {
    if (this.ws && this.ws.readyState <= 1) this.ws.close(code);
  }
  terminate() { if (this.ws) this.ws.terminate(); }
  pause() { if (this.ws) this.ws.pause(); }
  resume() { if (this.ws) this.ws.resume(); }
  raw(text) { if (this.ws && this.ws.readyState === 1) { this.ws.send(text); return true; } return false; }

  // Peers: deliveries are counted per sender by the sender's own counter.
  peerFrame(data) {
    if (!parseMarker(data, this.m)) { this.run.countFrame('other'); return; }
    this.messages++;
    this.run.countFrame('message');
    const m = this.m;
    this.stream(m.s, this.fromStart ? 1 : null).see(m.n, false, this.tally);
    this.run.deliver(this, m, false);
  }

  // The envelope the peers carry: the same fields as a Linli message frame.
  peerText(g, room) {
    const n = ++this.sentN;
    this.run.sentBySender.set(this.idx, n);
    const t = nowUs();
    this.run.sendTime[g] = t;
    return `{"type":"message","room":"${room}","seq":${n},"id":${g + 1},"author":{"id":${this.idx + 1},"display_name":"居民${this.idx}","role":"resident","badges":[]},"body":"${makePayload(t, g, this.idx, n)}","ts":"${new Date().toISOString()}","client_id":"${this.run.nonce}-${g}","reply_to":null,"kind":"user","deleted":false}`;
  }
}

// Node ws peer: the raw text is broadcast as it is.
export class WsNodeClient extends Client {
  url() { return `ws://127.0.0.1:${this.port}/ws/chat/${this.spec.room}/`; }
  onFrame(data) { this.peerFrame(data); }
  sendChat(g) { return this.raw(this.peerText(g, this.spec.room)); }
}

// The Channels tutorial: {"message": ...} both ways; the origin must be an allowed host.
export class NaiveClient extends Client {
  url() { return `ws://127.0.0.1:${this.port}/ws/chat/${this.spec.room}/`; }
  wsOptions() { return { ...WS_OPTS, origin: `http://127.0.0.1:${this.port}` }; }
  onFrame(data) { this.peerFrame(data); }
  sendChat(g) { return this.raw(`{"message":${this.peerText(g, this.spec.room)}}`); }
}

// python-socketio: Engine.IO v4 / Socket.IO v5 over a WebSocket, no polling.
export class SioClient extends Client {
  url() { return `ws://127.0.0.1:${this.port}/socket.io/?EIO=4&transport=websocket`; }
  onOpen() { /* wait for the Engine.IO open packet */ }
  onFrame(data) {
    const c0 = data[0];
    if (c0 === 0x34 /* 4 message */) {
      const c1 = data[1];
      if (c1 === 0x32 /* 2 event */) { this.peerFrame(data); return; }
      if (c1 === 0x30 /* 0 connect */) { this.run.countFrame('sio_connect'); this._ready(); return; }
      if (c1 === 0x34 /* 4 connect_error */) { this.run.countFrame('sio_connect_error'); this.ws.terminate(); return; }
      this.run.countFrame('sio_other');
      return;
    }
    if (c0 === 0x32 /* 2 ping */) { this.ws.send('3'); this.run.countFrame('eio_ping'); return; }
    if (c0 === 0x30 /* 0 open */) { this.ws.send(`40{"room":"${this.spec.room}"}`); return; }
    this.run.countFrame('eio_other');
  }
  sendChat(g) { return this.raw(`42["chat",${this.peerText(g, this.spec.room)}]`); }
}

// Linli, PROTOCOL.md v1 with the JSON subprotocol.
export class LinliClient extends Client {
  constructor(run, idx, spec) {
    super(run, idx, spec);
    this.welcome = null;
    this.syncing = 0;
    this.syncWait = null;
    this.historyWait = new Map();
    this.repairGaps = !!run.cfg.repairGaps;
    this.repairTimer = null;
    this.refN = 0;
    this.lastSeen = new Map();
  }
  url() { return `ws://127.0.0.1:${this.port}/ws/v1?token=${encodeURIComponent(this.spec.token)}`; }
  protocols() { return ['linli.v1.json']; }
  onOpen() { /* ready at welcome */ }

  onFrame(data) {
    const type = frameType(data);
    this.run.countFrame(type || 'untyped');
    switch (type) {
      case 'message': {
        this.messages++;
        const seq = scanInt(data, SEQ);
        const room = scanInt(data, ROOM);
        if (seq < 0 || room < 0) return;
        const viaSync = this.syncing > 0;
        const st = this.stream(room);
        const gapsBefore = this.tally.gaps;
        st.see(seq, viaSync, this.tally);
        if (seq > (this.run.roomLast.get(room) || 0)) this.run.roomLast.set(room, seq);
        if (parseMarker(data, this.m)) this.run.deliver(this, this.m, viaSync);
        if (this.tally.gaps > gapsBefore && this.repairGaps && !viaSync) this.scheduleRepair(room);
        return;
      }
      case 'ack': {
        const g = scanInt(data, REF);
        this.run.onAck(g, scanInt(data, SEQ), scanInt(data, ROOM));
        return;
      }
      case 'welcome': {
        const w = JSON.parse(data.toString());
        this.welcome = w;
        for (const r of w.rooms || []) {
          const id = Number(r.id);
          if (!this.streams.has(id)) this.streams.set(id, new Stream((r.last_seq || 0) + 1));
          if ((r.last_seq || 0) > (this.run.roomLast.get(id) || 0)) this.run.roomLast.set(id, r.last_seq || 0);
        }
        this._ready();
        return;
      }
      case 'synced': {
        const f = JSON.parse(data.toString());
        const more = f.more && Object.keys(f.more).length ? f.more : null;
        if (more) { this.syncRounds++; this.raw(JSON.stringify({ type: 'sync', ref: `s${++this.refN}`, rooms: more })); return; }
        this.syncing = Math.max(0, this.syncing - 1);
        if (this.syncWait) { const w = this.syncWait; this.syncWait = null; w(); }
        return;
      }
      case 'presence': this.presence++; return;
      case 'history': {
        const ref = scanInt(data, REF);
        const w = this.historyWait.get(ref);
        if (w) { this.historyWait.delete(ref); w(); }
        return;
      }
      case 'error': {
        const f = JSON.parse(data.toString());
        this.run.countError(f.code || 'unknown');
        const g = f.ref !== undefined && /^\d+$/.test(String(f.ref)) ? Number(f.ref) : -1;
        const pend = this.run.pending.get(g);
        if (pend && (f.code === 'rate_limited' || f.code === 'unavailable') && pend.attempts < 5) {
          pend.attempts++;
          setTimeout(() => this.raw(pend.frame), Math.max(50, (f.retry_after || 1) * 1000));
        } else if (pend) {
          this.run.pending.delete(g);
          if (pend.reject) pend.reject(new Error(f.code));
        }
        return;
      }
      default:
    }
  }

  // Send one chat message; resolves with its seq once acked (rejects on a final error).
  sendChat(g, withPromise = false) {
    const room = this.spec.room;
    const t = nowUs();
    this.run.sendTime[g] = t;
    const n = ++this.sentN;
    const frame = `{"type":"send","ref":"${g}","room":${JSON.stringify(room)},"body":"${makePayload(t, g, this.idx, n)}","client_id":"${this.run.nonce}-${g}"}`;
    const pend = { client: this, frame, attempts: 0 };
    let p = null;
    if (withPromise) p = new Promise((resolve, reject) => { pend.resolve = resolve; pend.reject = reject; });
    this.run.pending.set(g, pend);
    this.raw(frame);
    return withPromise ? p : true;
  }

  typing() { return this.raw(`{"type":"typing","room":${JSON.stringify(this.spec.room)}}`); }
  ping() { return this.raw(`{"type":"ping","ref":"p${++this.refN}"}`); }
  read() {
    const st = this.streams.get(Number(this.spec.room));
    if (!st || st.next === null || st.next <= 1) return false;
    return this.raw(`{"type":"read","room":${JSON.stringify(this.spec.room)},"seq":${st.next - 1}}`);
  }
  history(limit = 50) {
    const ref = 900000000 + (++this.refN);
    const t0 = nowMs();
    const p = new Promise((resolve) => this.historyWait.set(ref, resolve));
    this.raw(`{"type":"history","ref":"${ref}","room":${JSON.stringify(this.spec.room)},"limit":${limit}}`);
    return p.then(() => nowMs() - t0);
  }

  // sync every room from the last contiguous seq seen; resolves when `synced` names no more rooms.
  sync(rooms = null) {
    if (!rooms) {
      rooms = {};
      for (const [room, st] of this.streams) if (st.next !== null) rooms[String(room)] = st.next - 1;
    }
    this.syncing++;
    this.syncRounds = 1;
    return new Promise((resolve) => {
      this.syncWait = resolve;
      this.raw(JSON.stringify({ type: 'sync', ref: `s${++this.refN}`, rooms }));
    });
  }

  scheduleRepair(room) {
    if (this.repairTimer) return;
    this.repairTimer = setTimeout(() => {
      this.repairTimer = null;
      const st = this.streams.get(room);
      if (!st || !st.missing || !st.missing.size) return;
      let from = Infinity;
      for (const k of st.missing) if (k < from) from = k;
      from -= 1;
      this.run.countFrame('gap_repair_sync');
      this.sync({ [String(room)]: from });
    }, 200);
  }
}

export const DRIVERS = { linli: LinliClient, 'channels-naive': NaiveClient, socketio: SioClient, 'ws-node': WsNodeClient };
export { HANZI60, log };
