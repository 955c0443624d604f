// The harness the scenarios are written with: control channel to run.py, connecting many
// clients, pacing, draining, and phase reports.
import readline from 'node:readline';
import fs from 'node:fs';
import { DRIVERS } from './clients.mjs';
import { Hist, nowMs, sleep, pool, log, expo } from './lib.mjs';

// ---- control channel: `CTRL {json}` on stdout, one JSON answer per line on stdin ----------------------
export class Ctrl {
  constructor(enabled) {
    this.enabled = enabled;
    this.id = 0;
    this.wait = new Map();
    this.defaults = {};
    if (enabled) {
      const rl = readline.createInterface({ input: process.stdin });
      rl.on('line', (line) => {
        let msg;
        try { msg = JSON.parse(line); } catch { return; }
        const w = this.wait.get(msg.id);
        if (w) { this.wait.delete(msg.id); w(msg); }
      });
    }
  }
  call(op, args = {}, timeoutMs = 60000) {
    if (!this.enabled) return Promise.resolve({ id: 0, unsupported: true });
    const id = ++this.id;
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.wait.delete(id); resolve({ id, timeout: true }); }, timeoutMs);
      this.wait.set(id, (m) => { clearTimeout(timer); resolve(m); });
      process.stdout.write(`CTRL ${JSON.stringify({ id, op, ...args })}\n`);
    });
  }
  snap(opts = {}) { return this.call('snap', { ...this.defaults, ...opts }).then((m) => ({ ...(m.snap || {}), lg: process.cpuUsage(), lt: nowMs() })); }
}

// Differences between two snapshots: server CPU (all its processes), RSS, Redis and PostgreSQL.
export function delta(a, b) {
  const wall = (b.lt - a.lt) / 1000;
  const out = { wall_s: round(wall, 3) };
  const lgCpu = ((b.lg.user - a.lg.user) + (b.lg.system - a.lg.system)) / 1e6;
  out.loadgen_cpu_s = round(lgCpu, 3);
  out.loadgen_cpu_util = wall > 0 ? round(lgCpu / wall, 3) : null;
  if (a.servers && b.servers) {
    let cpu = 0;
    let wait = 0;
    for (const sb of b.servers) {
      const sa = a.servers.find((x) => x.pid === sb.pid);
      if (sa) { cpu += sb.cpu_s - sa.cpu_s; wait += (sb.runq_wait_s || 0) - (sa.runq_wait_s || 0); } else { cpu += sb.cpu_s; wait += sb.runq_wait_s || 0; } // a process started inside the window
    }
    out.server_cpu_s = round(cpu, 3);
    // Runnable but not running: the share of the window the server waited for its core (others' work).
    out.server_runq_wait_util = wall > 0 ? round(wait / wall, 3) : null;
    out.server_cpu_util = wall > 0 ? round(cpu / wall, 3) : null;
    out.server_rss_kib = b.servers.reduce((s, x) => s + (x.rss_kib || 0), 0);
    out.server_rss_start_kib = a.servers.reduce((s, x) => s + (x.rss_kib || 0), 0);
  }
  if (a.redis && b.redis) {
    out.redis_cmds = b.redis.cmds - a.redis.cmds;
    out.redis_publishes = (b.redis.publishes || 0) - (a.redis.publishes || 0);
    out.redis_cpu_s = round(b.redis.cpu_s - a.redis.cpu_s, 3);
    out.redis_cpu_util = wall > 0 ? round(out.redis_cpu_s / wall, 3) : null;
  }
  if (a.pg && b.pg) {
    out.pg = {};
    for (const k of Object.keys(b.pg)) if (typeof b.pg[k] === 'number' && typeof a.pg[k] === 'number') out.pg[k] = b.pg[k] - a.pg[k];
  }
  return out;
}

export const round = (v, d = 2) => (v === null || v === undefined || !Number.isFinite(v) ? v : Math.round(v * 10 ** d) / 10 ** d);

// ---- who connects where ------------------------------------------------------------------------------
export function bigSpecs(cfg, n) {
  const out = [];
  if (cfg.peer === 'linli') {
    const big = cfg.linli.big;
    if (n > big.tokens.length) throw new Error(`layout big has ${big.tokens.length} members, ${n} needed`);
    for (let i = 0; i < n; i++) out.push({ room: big.room, roomKey: 'big', token: big.tokens[i] });
  } else for (let i = 0; i < n; i++) out.push({ room: 'big', roomKey: 'big' });
  return withPorts(cfg, out);
}

export function manySpecs(cfg, rooms, members) {
  const out = [];
  for (let r = 0; r < rooms; r++) {
    for (let m = 0; m < members; m++) {
      if (cfg.peer === 'linli') {
        const lr = cfg.linli.many.rooms[r];
        if (!lr || m >= lr.tokens.length) throw new Error(`layout many lacks room ${r} member ${m}`);
        out.push({ room: lr.room, roomKey: `m${r}`, token: lr.tokens[m] });
      } else out.push({ room: `m${r}`, roomKey: `m${r}` });
    }
  }
  return withPorts(cfg, out);
}

function withPorts(cfg, specs) {
  const ports = cfg.ports;
  specs.forEach((s, i) => { s.portIdx = i % ports.length; s.port = ports[s.portIdx]; });
  return specs;
}

// Connect every spec with at most `inFlight` handshakes at once. Failed clients stay in the list
// with `ready` false.
export async function connectAll(run, specs, { inFlight = 200, timeoutMs = 30000, retries = 2, deadlineMs = Infinity, offset = 0 } = {}) {
  const Driver = DRIVERS[run.peer];
  const hist = new Hist();
  const reasons = new Map();
  const t0 = nowMs();
  const clients = specs.map((s, i) => new Driver(run, offset + i, s));
  run.clients.push(...clients);
  let tLast = t0;
  await pool(clients.length, inFlight, async (i) => {
    for (let attempt = 0; attempt <= retries; attempt++) {
      const ts = nowMs();
      try {
        await clients[i].connect(timeoutMs);
        hist.add((nowMs() - ts) * 1000);
        tLast = nowMs();
        return;
      } catch (e) {
        const k = String(e.message || e);
        reasons.set(k, (reasons.get(k) || 0) + 1);
        if (nowMs() > deadlineMs) return;
        if (attempt < retries) await sleep(200 * (attempt + 1));
      }
    }
  }, deadlineMs);
  const ok = clients.filter((c) => c.ready).length;
  const notAttempted = clients.filter((c) => c.connects === 0).length;
  const wall = (tLast - t0) / 1000;
  return {
    clients,
    stats: {
      attempted: clients.length - notAttempted, not_attempted_time_budget: notAttempted, ok, failed: clients.length - notAttempted - ok,
      failure_reasons: Object.fromEntries(reasons),
      wall_s: round(wall, 3), connects_per_s: wall > 0 ? round(ok / wall, 1) : null,
      handshake_to_ready: hist.summary(),
    },
  };
}

// Call fn(k) at t0 + k/rate for durationMs (rate may be a function of elapsed ms). Bounded.
export async function paced(rate, durationMs, fn) {
  const t0 = nowMs();
  let k = 0;
  let due = t0;
  for (;;) {
    const now = nowMs();
    if (now - t0 >= durationMs) break;
    if (now >= due) {
      fn(k++);
      const r = typeof rate === 'function' ? rate(now - t0) : rate;
      due += 1000 / r;
      continue;
    }
    await sleep(Math.min(due - now, t0 + durationMs - now));
  }
  return k;
}

// Poisson arrivals at `rate` per second for durationMs.
export async function poissonLoop(rate, durationMs, r, fn) {
  const t0 = nowMs();
  let k = 0;
  let due = t0 + expo(r, rate) * 1000;
  for (;;) {
    const now = nowMs();
    if (due - t0 >= durationMs) break;
    if (now >= due) { fn(k++); due += expo(r, rate) * 1000; continue; }
    await sleep(Math.min(due - now, 50));
  }
  return k;
}

export async function waitUntil(pred, timeoutMs, pollMs = 50) {
  const t0 = nowMs();
  while (!pred()) {
    if (nowMs() - t0 > timeoutMs) return false;
    await sleep(pollMs);
  }
  return true;
}

// Deliveries still missing for the messages of a phase, each expected `expected(g)` times.
export function missingOf(run, p, expected) {
  let missing = 0;
  let delivered = 0;
  const pi = run.phases.indexOf(p);
  for (let g = p.firstG; g < p.lastG; g++) {
    if (run.sendPhase[g] !== pi) continue;
    const e = typeof expected === 'function' ? expected(g) : expected;
    const got = run.recvCount[g];
    delivered += got;
    if (got < e) missing += e - got;
  }
  return { missing, delivered };
}

// A phase's figures: latency (a missing delivery counts as worse than any seen), throughput, CPU.
export function phaseReport(run, p, d, expected) {
  const dur = ((p.t1 ?? nowMs()) - p.t0) / 1000;
  const { missing, delivered } = expected !== undefined ? missingOf(run, p, expected) : { missing: 0, delivered: p.hists.all.n };
  const out = {
    phase: p.name,
    duration_s: round(dur, 2),
    msgs_sent: p.sent,
    msgs_per_s: round(p.sent / dur, 2),
    deliveries: delivered,
    deliveries_missing: missing,
    delivered_per_s: round(delivered / dur, 1),
    latency: p.hists.all.summary(missing),
  };
  for (const [k, h] of Object.entries(p.hists)) if (k !== 'all') out[`latency_${k}`] = h.summary();
  if (p.ack.n || run.peer === 'linli') out.ack = { acked: p.acked, ...p.ack.summary(Math.max(0, p.sent - p.acked)) };
  if (p.history.n) out.history = p.history.summary();
  if (p.sync.n) out.sync_delivered = p.sync.n;
  if (d) {
    out.window = d;
    if (d.server_cpu_s !== undefined && p.sent) out.server_cpu_per_msg_ms = round((d.server_cpu_s * 1000) / p.sent, 3);
    if (d.server_cpu_s !== undefined && delivered) out.server_cpu_per_delivery_us = round((d.server_cpu_s * 1e6) / delivered, 2);
  }
  for (const k of Object.keys(p)) if (k.startsWith('x_')) out[k.slice(2)] = p[k];
  return out;
}

export function frameCounts(run) {
  return {
    frames_by_type: Object.fromEntries(run.frames),
    errors_by_code: Object.fromEntries(run.errors),
    closes: Object.fromEntries(run.closes),
    rx_frames: run.rxFrames,
    rx_avg_frame_bytes: run.rxFrames ? round(run.rxBytes / run.rxFrames, 1) : null,
  };
}

export function loadConfig(path) {
  const cfg = JSON.parse(fs.readFileSync(path, 'utf8'));
  if (cfg.peer === 'linli' && cfg.tokens_file) cfg.linli = JSON.parse(fs.readFileSync(cfg.tokens_file, 'utf8'));
  return cfg;
}

export async function closeAll(clients, waitMs = 3000) {
  for (const c of clients) { c.onClose = null; c.close(1000); }
  await waitUntil(() => clients.every((c) => !c.ws || c.ws.readyState === 3), waitMs);
  for (const c of clients) if (c.ws && c.ws.readyState !== 3) c.terminate();
}

export { log, sleep, nowMs };
