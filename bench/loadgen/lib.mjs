// Shared pieces of the load generator: clock, payload, histogram, per-stream seq accounting,
// a bounded connection pool and a seeded random generator.
import { performance } from 'node:perf_hooks';

// ---- clock ----------------------------------------------------------------------------------
// One monotonic clock for send and receive: everything happens in this one process.
export const nowUs = () => Math.round(performance.now() * 1000);
export const nowMs = () => performance.now();
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- payload ----------------------------------------------------------------------------------
// 60 Chinese characters. With the timestamp and counters in front, a Linli `message` frame
// comes to ~440 bytes of JSON; the peers carry the same text.
export const HANZI60 =
  '邻里守望相助共建美好家园今天下午三点在小区广场举行垃圾分类宣传活动欢迎各位居民踊跃参加请带好购物袋物业将发放环保纪念品。';
if ([...HANZI60].length !== 60) throw new Error(`HANZI60 has ${[...HANZI60].length} characters`);

// `~t|g|s|n|` + 60 汉字: t = send time (µs on this process' clock), g = the run-wide message
// number, s = the sender's client index, n = the sender's own seq counter (peers assign none).
export const makePayload = (t, g, s, n) => `~${t}|${g}|${s}|${n}|${HANZI60}`;

const TILDE = 0x7e;
const BAR = 0x7c;
// Parse the four numbers after the first '~' of a buffer (or a latin1/ASCII-prefixed string
// turned buffer). Returns false when there is no marker. Fills `out` (t, g, s, n).
export function parseMarker(buf, out, from = 0) {
  const i = buf.indexOf(TILDE, from);
  if (i < 0) return false;
  let p = i + 1;
  for (let f = 0; f < 4; f++) {
    let v = 0;
    let c = buf[p];
    if (c < 48 || c > 57) return false;
    while (c >= 48 && c <= 57) { v = v * 10 + (c - 48); c = buf[++p]; }
    if (c !== BAR) return false;
    p++;
    if (f === 0) out.t = v; else if (f === 1) out.g = v; else if (f === 2) out.s = v; else out.n = v;
  }
  return true;
}

// The integer after `"key":` (an optional quote or spaces allowed), or -1.
export function scanInt(buf, keyBuf, from = 0) {
  const i = buf.indexOf(keyBuf, from);
  if (i < 0) return -1;
  let p = i + keyBuf.length;
  let c = buf[p];
  while (c === 0x20 || c === 0x22) c = buf[++p];
  if (c < 48 || c > 57) return -1;
  let v = 0;
  while (c >= 48 && c <= 57) { v = v * 10 + (c - 48); c = buf[++p]; }
  return v;
}

// The string value after `"type":"`, as a short ASCII string, or ''.
const TYPE_KEY = Buffer.from('"type":"');
const TYPE_KEY_SP = Buffer.from('"type": "');
export function frameType(buf) {
  let i = buf.indexOf(TYPE_KEY);
  let start;
  if (i >= 0) start = i + TYPE_KEY.length;
  else {
    i = buf.indexOf(TYPE_KEY_SP);
    if (i < 0) return '';
    start = i + TYPE_KEY_SP.length;
  }
  const end = buf.indexOf(0x22, start);
  if (end < 0 || end - start > 40) return '';
  return buf.toString('latin1', start, end);
}

// ---- histogram (µs) ------------------------------------------------------------------------------
// Log-linear buckets: exact below 512 µs, then 256 sub-buckets per power of two (< 0.4 % error).
const SUB = 256;
const LINEAR = 512;
const NBUCKETS = LINEAR + 40 * SUB;
function bucketOf(v) {
  if (v < LINEAR) return v < 0 ? 0 : Math.floor(v);
  const e = Math.floor(Math.log2(v));
  const shift = e - 8;
  const sub = Math.floor(v / 2 ** shift) - SUB;
  return Math.min(NBUCKETS - 1, LINEAR + (e - 9) * SUB + Math.min(SUB - 1, Math.max(0, sub)));
}
function valueOf(b) {
  if (b < LINEAR) return b;
  const e = Math.floor((b - LINEAR) / SUB) + 9;
  const sub = (b - LINEAR) % SUB;
  const shift = e - 8;
  return (SUB + sub + 0.5) * 2 ** shift;
}

export class Hist {
  constructor() { this.b = new Uint32Array(NBUCKETS); this.n = 0; this.sum = 0; this.max = 0; this.min = Infinity; }
  add(v) {
    this.b[bucketOf(v)]++; this.n++; this.sum += v;
    if (v > this.max) this.max = v;
    if (v < this.min) this.min = v;
  }
  merge(h) {
    for (let i = 0; i < NBUCKETS; i++) this.b[i] += h.b[i];
    this.n += h.n; this.sum += h.sum; this.max = Math.max(this.max, h.max); this.min = Math.min(this.min, h.min);
  }
  // Quantile q in [0,1]; `extra` counts samples known to be worse than anything recorded
  // (deliveries still missing), so a lost or late delivery pushes the percentile up.
  quantile(q, extra = 0) {
    const total = this.n + extra;
    if (total === 0) return null;
    const rank = Math.ceil(q * total);
    if (rank > this.n) return Infinity;
    let acc = 0;
    for (let i = 0; i < NBUCKETS; i++) {
      acc += this.b[i];
      if (acc >= rank) return Math.min(valueOf(i), this.max);
    }
    return this.max;
  }
  summary(extra = 0) {
    const ms = (v) => (v === null ? null : v === Infinity ? 'inf' : Math.round(v / 10) / 100);
    return {
      n: this.n,
      p50_ms: ms(this.quantile(0.5, extra)),
      p90_ms: ms(this.quantile(0.9, extra)),
      p99_ms: ms(this.quantile(0.99, extra)),
      p999_ms: ms(this.quantile(0.999, extra)),
      max_ms: this.n ? ms(this.max) : null,
      mean_ms: this.n ? ms(this.sum / this.n) : null,
    };
  }
}

// ---- per-stream sequence accounting --------------------------------------------------------------
// A stream is (receiver, room) for Linli (server seq) or (receiver, sender) for the peers (the
// sender's own counter). Sequences start where the stream's baseline says; a seq above `next`
// opens a gap (its numbers go to `missing`); a seq that fills a gap is a reorder (or a recovery
// when it came through `sync`); a seq seen before is a duplicate.
export class Stream {
  constructor(next = null) { this.next = next; this.missing = null; }
  see(s, viaSync, tally) {
    if (this.next === null) { this.next = s + 1; return; }
    if (s === this.next) { this.next++; return; }
    if (s > this.next) {
      if (!this.missing) this.missing = new Set();
      const gap = s - this.next;
      if (gap > 200000) { tally.hugeGaps++; tally.lostUnlisted += gap; } else for (let k = this.next; k < s; k++) this.missing.add(k);
      tally.gaps++;
      this.next = s + 1;
      return;
    }
    if (this.missing && this.missing.delete(s)) {
      if (viaSync) tally.recovered++; else tally.reordered++;
      return;
    }
    if (viaSync) tally.syncRedundant++; else tally.duplicates++;
  }
  // Numbers not seen up to `last` (inclusive): the gaps plus the missing tail.
  lost(last) {
    let n = this.missing ? this.missing.size : 0;
    if (this.next !== null && last >= this.next) n += last - this.next + 1;
    return n;
  }
}

export const newTally = () => ({ gaps: 0, reordered: 0, duplicates: 0, recovered: 0, syncRedundant: 0, hugeGaps: 0, lostUnlisted: 0 });

// ---- pool -------------------------------------------------------------------------------------------
// Run `fn(i)` for i in [0, n) with at most `inFlight` at once; resolves with per-item results.
export async function pool(n, inFlight, fn, deadlineMs = Infinity) {
  const results = new Array(n);
  let next = 0;
  async function worker() {
    while (next < n) {
      if (nowMs() > deadlineMs) return;
      const i = next++;
      try { results[i] = await fn(i); } catch (e) { results[i] = { error: String(e && e.message || e) }; }
    }
  }
  await Promise.all(Array.from({ length: Math.min(inFlight, n) }, worker));
  return results;
}

// ---- seeded random ------------------------------------------------------------------------------
export function rng(seed = 1) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}
export const expo = (r, rate) => -Math.log(1 - r()) / rate;

export function log(...a) {
  process.stderr.write(`[loadgen ${(nowMs() / 1000).toFixed(1)}s] ${a.join(' ')}\n`);
}
