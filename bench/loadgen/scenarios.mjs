// The scenarios of shared/BENCHMARK.md. Each takes a context {cfg, run, ctrl, result} and fills
// `result` as it goes (so a hard time-out still reports what was measured). Every loop is bounded
// by its own duration and by ctx.deadline.
import {
  bigSpecs, manySpecs, connectAll, paced, poissonLoop, waitUntil, phaseReport, delta, round,
  frameCounts, closeAll, missingOf,
} from './harness.mjs';
import { LinliClient } from './clients.mjs';
import { nowMs, sleep, rng, log, Hist } from './lib.mjs';

const tallyCopy = (t) => ({ ...t });
const tallyDiff = (a, b) => Object.fromEntries(Object.keys(b).map((k) => [k, b[k] - (a[k] || 0)]));

function liveOnly(result, clients, want) {
  const live = clients.filter((c) => c.ready);
  if (live.length < want) result.notes.push(`only ${live.length} of ${want} clients connected`);
  if (!live.length) throw new Error('no client connected');
  return live;
}

// Connecting may take at most `connect_budget_s`, and must leave `reserve_s` for what follows.
function connectBy(ctx, P) {
  return Math.min(nowMs() + (P.connect_budget_s || 1e9) * 1000, ctx.deadline - (P.reserve_s || 0) * 1000);
}

async function settle(ctx, ms) {
  // Let the connect storm's side effects (presence, welcome) die down before measuring.
  await sleep(Math.min(ms, Math.max(0, ctx.deadline - nowMs() - 1000)));
}

// Wait until every message of the given phases has `expected` deliveries. An overloaded server
// is still working through its backlog when a ramp ends, so the wait lasts while deliveries keep
// arriving, and gives up after `ms` without progress, after max(30 s, 4 × ms) in all, or at the
// deadline: what is missing then counts as lost.
async function drain(ctx, phases, expected, ms) {
  const t0 = nowMs();
  const until = Math.min(t0 + Math.max(30000, 4 * ms), ctx.deadline - 500);
  const missing = () => phases.reduce((n, p) => n + missingOf(ctx.run, p, expected).missing, 0);
  let left = missing();
  let progressAt = nowMs();
  while (left > 0 && nowMs() - progressAt < ms && nowMs() < until) {
    await sleep(100);
    const now = missing();
    if (now < left) { left = now; progressAt = nowMs(); }
  }
  return { drained: left === 0, drain_s: round((nowMs() - t0) / 1000, 2), missing_after: left };
}

function accounting(run, clients, group = 'all') {
  const a = run.account(clients);
  const t = run.tallies[group];
  return { ...a, duplicates: t.duplicates, reordered: t.reordered, live_gaps: t.gaps, recovered_by_sync: t.recovered, sync_redundant: t.syncRedundant };
}

// ---- S1a: one room of N; one member sends 1 msg/s, then 5 msg/s --------------------------------------
export async function S1a(ctx) {
  const { cfg, run, ctrl, result } = ctx;
  const P = cfg.params;
  const { clients, stats } = await connectAll(run, bigSpecs(cfg, P.n), { inFlight: P.in_flight, deadlineMs: connectBy(ctx, P) });
  result.connect = stats;
  const live = liveOnly(result, clients, P.n);
  await settle(ctx, P.settle_ms);
  const sender = live[0];
  const done = [];
  // Warm-up, not reported: the first messages after a connect storm meet cold caches and the
  // storm's leftovers on both sides (the load generator's too), the same for every peer.
  const warm = run.newPhase('warm-up');
  await paced(P.rates[0], (P.warmup_s || 0) * 1000, () => sender.sendChat(run.nextG()));
  run.endPhase();
  for (const rate of P.rates) {
    const t0 = tallyCopy(run.tallies.all);
    const a = await ctrl.snap();
    const p = run.newPhase(`${rate} msg/s`);
    await paced(rate, P.phase_s * 1000, () => sender.sendChat(run.nextG()));
    run.endPhase();
    const b = await ctrl.snap();
    done.push({ p, d: delta(a, b), t0, t1: tallyCopy(run.tallies.all) });
  }
  result.drain = await drain(ctx, [warm, ...done.map((x) => x.p)], live.length, P.drain_s * 1000);
  result.phases = done.map(({ p, d, t0 }) => ({ ...phaseReport(run, p, d, live.length), tally: tallyDiff(t0, run.tallies.all) }));
  result.accounting = accounting(run, live);
}

// ---- S1b / S6: the send rate rises every step until p99 > limit or any loss ------------------------------
export async function S1b(ctx) {
  const { cfg, run, ctrl, result } = ctx;
  const P = cfg.params;
  const { clients, stats } = await connectAll(run, bigSpecs(cfg, P.n), { inFlight: P.in_flight, deadlineMs: connectBy(ctx, P) });
  result.connect = stats;
  const live = liveOnly(result, clients, P.n);
  await settle(ctx, P.settle_ms);
  // Senders alternate between the server processes (S6) and are spread so that no one member
  // floods (a member sending dozens of messages a second would meet Linli's rate limit).
  const senders = [];
  for (let i = 0; i < Math.min(P.senders, live.length); i++) senders.push(live[i]);
  const snapOpts = { redis: !!P.redis };
  const steps = [];
  let rate = P.start_rate;
  let failed = null; // the first step of the confirmed failure
  let streak = 0;
  let hold = 0;
  const limitUs = P.p99_limit_ms * 1000;
  const confirm = P.confirm_fails || 1;
  const fails = (s) => {
    const { missing } = missingOf(run, s.p, live.length);
    const p99 = s.p.hists.all.quantile(0.99, missing);
    return missing > 0 || s.p.sync.n > 0 || p99 === null || p99 > limitUs;
  };
  for (let step = 0; step < P.max_steps && nowMs() < ctx.deadline - P.step_s * 1000 - 2000; step++) {
    const a = await ctrl.snap(snapOpts);
    const del0 = run.delivered;
    const p = run.newPhase(`step ${step}: ${round(rate, 2)} msg/s`, { x_offered_msgs_per_s: round(rate, 3), x_offered_deliveries_per_s: Math.round(rate * live.length) });
    let k = 0;
    await paced(rate, P.step_s * 1000, () => {
      const s = senders[k++ % senders.length];
      s.sendChat(run.nextG(s.portIdx));
    });
    run.endPhase();
    const b = await ctrl.snap(snapOpts);
    const d = delta(a, b);
    d.received_per_s = round((run.delivered - del0) / d.wall_s, 1);
    steps.push({ p, d, held: failed !== null });
    // The step before this one has had a whole step to complete: judge it now. A failure must be
    // confirmed by the next step (the machine is shared: one scheduling hiccup is not the limit).
    if (steps.length >= 2 && failed === null) {
      const judged = steps.length - 2;
      if (fails(steps[judged])) { if (++streak >= confirm) failed = judged - confirm + 1; } else streak = 0;
    }
    if (failed !== null) { if (++hold > P.hold_steps) break; continue; } // hold the rate to measure saturation
    rate *= P.factor;
  }
  result.drain = await drain(ctx, steps.map((s) => s.p), live.length, P.drain_s * 1000);
  result.steps = steps.map(({ p, d }) => {
    const r = phaseReport(run, p, d, live.length);
    r.pass = !fails({ p });
    if (P.redis && d.redis_cmds !== undefined && p.sent) {
      r.redis_cmds_per_msg = round(d.redis_cmds / p.sent, 2);
      r.redis_publishes_per_msg = round(d.redis_publishes / p.sent, 2);
      r.redis_cmds = d.redis_cmds;
      r.redis_publishes = d.redis_publishes;
    }
    return r;
  });
  // Highest sustained: the highest passing step before the confirmed failure (or the ramp's end).
  let best = null;
  const endAt = failed === null ? result.steps.length : failed;
  for (let i = 0; i < endAt; i++) if (result.steps[i].pass && (!best || result.steps[i].delivered_per_s > best.delivered_per_s)) best = result.steps[i];
  const maxRx = Math.max(...steps.map((s) => s.d.received_per_s || 0));
  const satStep = result.steps.reduce((acc, s) => ((s.window?.received_per_s || 0) > (acc?.window?.received_per_s || 0) ? s : acc), null);
  result.summary = {
    sustained_deliveries_per_s: best ? best.delivered_per_s : 0,
    sustained_at: best ? best.phase : null,
    sustained_p99_ms: best ? best.latency.p99_ms : null,
    sustained_server_cpu_util: best?.window?.server_cpu_util ?? null,
    sustained_server_runq_wait_util: best?.window?.server_runq_wait_util ?? null,
    sustained_redis_cpu_util: best?.window?.redis_cpu_util ?? null,
    sustained_per_core: best && best.window?.server_cpu_util ? round(best.delivered_per_s / Math.max(best.window.server_cpu_util, 0.01), 0) : null,
    max_received_per_s: maxRx,
    max_received_server_cpu_util: satStep?.window?.server_cpu_util ?? null,
    cpu_per_delivery_us_at_max: satStep?.server_cpu_per_delivery_us ?? null,
    first_failing_step: failed !== null ? steps[failed].p.name : null,
    failing_steps: result.steps.filter((x) => !x.pass).map((x) => x.phase),
    loadgen_cpu_util_max: Math.max(...steps.map((s) => s.d.loadgen_cpu_util || 0)),
  };
  if (cfg.ports.length > 1 && best) {
    result.summary.same_process_p99_ms = best.latency_same_process?.p99_ms ?? null;
    result.summary.cross_process_p99_ms = best.latency_cross_process?.p99_ms ?? null;
  }
  if (P.redis) {
    const all = result.steps.filter((s) => s.redis_cmds_per_msg !== undefined);
    const sum = (k) => all.reduce((x, s) => x + (s[k] || 0), 0);
    const sent = all.reduce((x, s) => x + s.msgs_sent, 0);
    // Weighted by messages (steps with few messages are dominated by other users of Redis).
    result.summary.redis_cmds_per_msg = sent ? round(sum('redis_cmds') / sent, 2) : null;
    result.summary.redis_publishes_per_msg = sent ? round(sum('redis_publishes') / sent, 2) : null;
  }
  result.accounting = accounting(run, live);
}

// ---- S2: 200 rooms × 50; Poisson senders, typing, read markers, heartbeats, history; then more -----------
export async function S2(ctx) {
  const { cfg, run, ctrl, result } = ctx;
  const P = cfg.params;
  const specs = manySpecs(cfg, P.rooms, P.members);
  const { clients, stats } = await connectAll(run, specs, { inFlight: P.in_flight, deadlineMs: connectBy(ctx, P) });
  result.connect = stats;
  const live = liveOnly(result, clients, specs.length);
  await settle(ctx, P.settle_ms);
  const r = rng(42);
  const roomLive = new Map();
  for (const c of live) roomLive.set(c.roomKey, (roomLive.get(c.roomKey) || 0) + 1);
  const msgRoom = [];
  const expected = (g) => roomLive.get(msgRoom[g]) || 0;
  const linli = run.peer === 'linli';
  let stop = false;
  const bg = [];
  if (linli) {
    // Presence heartbeats (ping) and read markers, Poisson over all members, until the end.
    bg.push(poissonLoop(live.length / P.ping_every_s, P.base_s * 1000 + P.ramp_step_s * 1000 * (P.max_ramp_steps + 1), r, () => { if (!stop) live[Math.floor(r() * live.length)].ping(); }));
    bg.push(poissonLoop(live.length / P.read_every_s, P.base_s * 1000 + P.ramp_step_s * 1000 * (P.max_ramp_steps + 1), r, () => { if (!stop) live[Math.floor(r() * live.length)].read(); }));
  }
  const send = (p) => {
    const c = live[Math.floor(r() * live.length)];
    const g = run.nextG();
    msgRoom[g] = c.roomKey;
    if (linli) {
      if (P.typing) c.typing();
      c.sendChat(g);
      if (r() < P.history_frac) c.history(50).then((ms) => p.history.add(ms * 1000));
    } else c.sendChat(g);
  };
  const steps = [];
  let rate = live.length / P.mean_interval_s;
  let knee = null;
  const passes = (s) => {
    const { missing } = missingOf(run, s.p, expected);
    const p99 = s.p.hists.all.quantile(0.99, missing);
    const ackP99 = linli ? s.p.ack.quantile(0.99, Math.max(0, s.p.sent - s.p.acked)) : 0;
    return missing === 0 && p99 !== null && p99 <= P.delivery_p99_limit_ms * 1000 && (!linli || (ackP99 !== null && ackP99 <= P.ack_p99_limit_ms * 1000));
  };
  for (let step = 0; step <= P.max_ramp_steps; step++) {
    const dur = (step === 0 ? P.base_s : P.ramp_step_s) * 1000;
    if (nowMs() + dur + 3000 > ctx.deadline) { result.notes.push('deadline: ramp cut short'); break; }
    const a = await ctrl.snap({ pg: linli, redis: true });
    const p = run.newPhase(step === 0 ? `base ${round(rate, 1)} msg/s` : `ramp ${step}: ${round(rate, 1)} msg/s`, { x_offered_msgs_per_s: round(rate, 2) });
    await poissonLoop(rate, dur, r, () => send(p));
    run.endPhase();
    const b = await ctrl.snap({ pg: linli, redis: true });
    steps.push({ p, d: delta(a, b) });
    if (steps.length >= 2 && !passes(steps[steps.length - 2])) { knee = steps.length - 2; break; }
    rate *= P.factor;
  }
  stop = true;
  result.drain = await drain(ctx, steps.map((s) => s.p), expected, P.drain_s * 1000);
  result.steps = steps.map(({ p, d }) => {
    const rep = phaseReport(run, p, d, expected);
    rep.pass = passes({ p });
    if (d.pg && d.wall_s) rep.db_xact_per_s = round((d.pg.xact_commit + (d.pg.xact_rollback || 0)) / d.wall_s, 1);
    if (linli) rep.durable_msgs_per_s = round(p.acked / rep.duration_s, 1);
    return rep;
  });
  let best = null;
  for (const s of result.steps) { if (!s.pass) break; best = s; }
  const base = result.steps[0];
  result.summary = {
    base_rate_msgs_per_s: base?.msgs_per_s,
    base_delivery_p99_ms: base?.latency.p99_ms,
    base_ack_p99_ms: base?.ack?.p99_ms ?? null,
    base_server_cpu_util: base?.window?.server_cpu_util,
    base_db_xact_per_s: base?.db_xact_per_s ?? null,
    knee_step: best ? best.phase : null,
    knee_msgs_per_s: best ? best.msgs_per_s : null,
    knee_durable_msgs_per_s: best?.durable_msgs_per_s ?? null,
    knee_delivery_p99_ms: best?.latency.p99_ms ?? null,
    knee_ack_p99_ms: best?.ack?.p99_ms ?? null,
    loadgen_cpu_util_max: Math.max(...steps.map((s) => s.d.loadgen_cpu_util || 0)),
  };
  await Promise.race([Promise.all(bg), sleep(100)]);
  result.accounting = accounting(run, live);
}

// ---- S3: connection storm, then idle ---------------------------------------------------------------------
export async function S3(ctx) {
  const { cfg, run, ctrl, result } = ctx;
  const P = cfg.params;
  const specs = P.layout === 'big' ? bigSpecs(cfg, P.n) : manySpecs(cfg, P.rooms, P.members).slice(0, P.n);
  const a = await ctrl.snap();
  const { clients, stats } = await connectAll(run, specs, { inFlight: P.in_flight, retries: 0, timeoutMs: P.connect_timeout_s * 1000, deadlineMs: connectBy(ctx, P) });
  const b = await ctrl.snap();
  result.storm = { ...stats, window: delta(a, b) };
  const ok = clients.filter((c) => c.ready);
  const fr0 = run.rxFrames;
  const idleMs = Math.min(P.idle_s * 1000, ctx.deadline - nowMs() - 5000);
  await sleep(Math.max(0, idleMs));
  const c2 = await ctrl.snap();
  const idle = delta(b, c2);
  const still = clients.filter((c) => c.ready).length;
  result.idle = { ...idle, clients_still_open: still, frames_received: run.rxFrames - fr0 };
  const baseRss = a.servers ? a.servers.reduce((s, x) => s + x.rss_kib, 0) : null;
  result.summary = {
    connections: ok.length,
    failures: stats.failed,
    not_attempted_time_budget: stats.not_attempted_time_budget,
    connects_per_s: stats.connects_per_s,
    time_to_all_ready_s: stats.wall_s,
    connect_p99_ms: stats.handshake_to_ready.p99_ms,
    server_rss_before_kib: baseRss,
    server_rss_after_idle_kib: idle.server_rss_kib ?? null,
    rss_per_connection_kib: baseRss !== null && ok.length ? round((idle.server_rss_kib - baseRss) / ok.length, 2) : null,
    storm_server_cpu_util: result.storm.window.server_cpu_util ?? null,
    idle_server_cpu_util: idle.server_cpu_util ?? null,
    dropped_during_idle: ok.length - still,
    loadgen_cpu_util_storm: result.storm.window.loadgen_cpu_util,
  };
}

// ---- S4: catch-up of 1,000 missed messages through sync (Linli only) ---------------------------------------
export async function S4(ctx) {
  const { cfg, run, ctrl, result } = ctx;
  const P = cfg.params;
  const room = Number(cfg.linli.big.room);
  // Linli meters `send` per socket (LINLI_SEND_RATE): the missed messages come from several members.
  const want = 1 + P.senders + P.online;
  const { clients, stats } = await connectAll(run, bigSpecs(cfg, want), { inFlight: P.in_flight, deadlineMs: connectBy(ctx, P) });
  result.connect = stats;
  const live = liveOnly(result, clients, want);
  const target = live[0];
  const senders = live.slice(1, 1 + P.senders);
  await settle(ctx, P.settle_ms);
  const last = target.stream(room).next - 1;
  target.onClose = null;
  target.close(1000);
  await waitUntil(() => target.ws.readyState === 3, 5000);
  // The target is away: the senders store `missed` messages (a window of unacked sends).
  const ps = run.newPhase('messages while away');
  let sent = 0;
  let failedSends = 0;
  await Promise.all(Array.from({ length: P.window }, async (_, w) => {
    while (sent < P.missed && nowMs() < ctx.deadline - 20000) {
      const sender = senders[(sent++) % senders.length];
      try { await Promise.race([sender.sendChat(run.nextG(), true), sleep(15000).then(() => { throw new Error('ack timeout'); })]); } catch { failedSends++; }
    }
  }));
  run.endPhase();
  const final = run.roomLast.get(room) || 0;
  result.sending = { sent, failed: failedSends, duration_s: round((ps.t1 - ps.t0) / 1000, 2), ack: ps.ack.summary() };
  await sleep(P.stats_wait_ms);
  const a = await ctrl.snap({ pg: true });
  target.group = 'target';
  const t0 = nowMs();
  await target.connect(15000);
  const tWelcome = nowMs();
  const wRoom = (target.welcome.rooms || []).find((x) => Number(x.id) === room) || {};
  const pc = run.newPhase('catch-up');
  const m0 = target.messages;
  const tSync = nowMs();
  await Promise.race([target.sync({ [String(room)]: last }), sleep(Math.max(1000, ctx.deadline - nowMs() - 5000))]);
  const tSynced = nowMs();
  run.endPhase();
  await sleep(P.stats_wait_ms);
  const b = await ctrl.snap({ pg: true });
  const st = target.stream(room);
  const t = run.tallies.target || {};
  const got = st.next - 1 - last;
  result.summary = {
    missed: final - last,
    received: target.messages - m0,
    caught_up_to: st.next - 1,
    room_last_seq: final,
    complete: st.next - 1 >= final && !(st.missing && st.missing.size),
    duplicates: (t.duplicates || 0) + (t.syncRedundant || 0),
    out_of_order: (t.recovered || 0) + (t.reordered || 0) + (t.gaps || 0),
    connect_to_welcome_ms: round(tWelcome - t0, 1),
    sync_to_synced_ms: round(tSynced - tSync, 1),
    connect_to_synced_ms: round(tSynced - t0, 1),
    sync_rounds: target.syncRounds,
    welcome_unread: wRoom.unread ?? null,
    welcome_last_seq: wRoom.last_seq ?? null,
    seqs_advanced: got,
    db: b.pg && a.pg ? delta(a, b).pg : null,
  };
  result.summary.exactly_once_in_order = result.summary.complete && result.summary.duplicates === 0 && result.summary.out_of_order === 0;
}

// ---- S5: restart storm (Linli only) ------------------------------------------------------------------------------
export async function S5(ctx) {
  const { cfg, run, ctrl, result } = ctx;
  const P = cfg.params;
  const room = Number(cfg.linli.big.room);
  const specs = bigSpecs(cfg, P.n + P.writers);
  const writerSpecs = specs.splice(P.n).map((sp) => ({ ...sp, port: cfg.aux_port, portIdx: 1 }));
  const { clients, stats } = await connectAll(run, specs, { inFlight: P.in_flight, deadlineMs: connectBy(ctx, P) });
  result.connect = stats;
  const live = liveOnly(result, clients, P.n);
  await settle(ctx, P.settle_ms);
  const r = rng(7);
  let final = Infinity;
  const currentAt = new Map();
  let reconnectAttempts = 0;
  let reconnectFailures = 0;
  const failureReasons = {};
  const stopAt = () => ctx.deadline - 3000;
  const isCurrent = (c) => c.stream(room).next - 1 >= final;
  const reconnect = async (c) => {
    for (let attempt = 0; nowMs() < stopAt(); attempt++) {
      const cap = Math.min(P.backoff_cap_ms, P.backoff_base_ms * 2 ** attempt);
      await sleep(r() * cap); // full jitter
      reconnectAttempts++;
      try {
        await c.connect(10000);
        await c.sync();
        if (isCurrent(c)) currentAt.set(c, nowMs());
        return;
      } catch (e) {
        reconnectFailures++;
        const k = String(e.message || e);
        failureReasons[k] = (failureReasons[k] || 0) + 1;
      }
    }
  };
  for (const c of live) c.onClose = (cl) => { cl.onClose = null; reconnect(cl); };
  const a = await ctrl.snap({ pg: true });
  const tKill = nowMs();
  const k = await ctrl.call('kill', { which: 0 });
  result.kill = { ok: !k.error && !k.unsupported, error: k.error || null };
  // The other process stores the messages while the first is down.
  // Several writers: Linli meters `send` per socket.
  const writers = writerSpecs.map((sp, i) => new LinliClient(run, live.length + 1000 + i, sp));
  run.clients.push(...writers);
  const pw = run.newPhase('messages through the other process');
  try {
    await Promise.all(writers.map((w) => w.connect(15000)));
    let k = 0;
    for (let i = 0; i < P.missed && nowMs() < stopAt(); i += P.window) {
      await Promise.all(Array.from({ length: Math.min(P.window, P.missed - i) }, () => writers[(k++) % writers.length].sendChat(run.nextG(1), true).catch(() => null)));
    }
  } catch (e) { result.notes.push(`writer: ${e.message}`); }
  run.endPhase();
  final = run.roomLast.get(room) || 0;
  result.writer = { acked: pw.acked, sent: pw.sent, room_last_seq: final };
  const b = await ctrl.snap({ pg: true });
  const tRestart = nowMs();
  const rs = await ctrl.call('restart', { which: 0 });
  result.restart = { ok: !rs.error && !rs.unsupported, error: rs.error || null };
  for (const c of live) if (c.ready && !currentAt.has(c) && isCurrent(c)) currentAt.set(c, nowMs());
  let t99 = null;
  let t100 = null;
  let peakRss = 0;
  const n99 = Math.ceil(live.length * 0.99);
  const timeline = [];
  while (nowMs() < Math.min(stopAt(), tRestart + P.recover_timeout_s * 1000)) {
    await sleep(250);
    for (const c of live) if (!currentAt.has(c) && c.ready && isCurrent(c)) currentAt.set(c, nowMs());
    const n = currentAt.size;
    if (t99 === null && n >= n99) t99 = nowMs();
    if (n >= live.length) { t100 = nowMs(); break; }
    if (timeline.length < 400) timeline.push([round((nowMs() - tRestart) / 1000, 2), n]);
    const s = await ctrl.snap();
    if (s.servers) peakRss = Math.max(peakRss, ...s.servers.map((x) => x.hwm_kib || x.rss_kib || 0));
  }
  await sleep(P.stats_wait_ms);
  const c2 = await ctrl.snap({ pg: true });
  if (c2.servers) peakRss = Math.max(peakRss, ...c2.servers.map((x) => x.hwm_kib || x.rss_kib || 0));
  const acc = accounting(run, live);
  result.summary = {
    clients: live.length,
    current: currentAt.size,
    time_to_99pct_current_from_restart_s: t99 !== null ? round((t99 - tRestart) / 1000, 2) : null,
    time_to_99pct_current_from_kill_s: t99 !== null ? round((t99 - tKill) / 1000, 2) : null,
    time_to_all_current_from_restart_s: t100 !== null ? round((t100 - tRestart) / 1000, 2) : null,
    reconnect_attempts: reconnectAttempts,
    reconnect_failures: reconnectFailures,
    reconnect_failure_reasons: failureReasons,
    duplicates: acc.duplicates + acc.sync_redundant,
    lost: acc.lost,
    peak_rss_kib: peakRss || null,
    db_during_reconnect: c2.pg && b.pg ? delta(b, c2).pg : null,
    db_whole: c2.pg && a.pg ? delta(a, c2).pg : null,
    server_cpu_s_reconnect: delta(b, c2).server_cpu_s ?? null,
  };
  result.timeline = timeline;
  result.accounting = acc;
}

// ---- S7: slow consumers ------------------------------------------------------------------------------------
export async function S7(ctx) {
  const { cfg, run, ctrl, result } = ctx;
  const P = cfg.params;
  const { clients, stats } = await connectAll(run, bigSpecs(cfg, P.n), { inFlight: P.in_flight, deadlineMs: connectBy(ctx, P) });
  result.connect = stats;
  const live = liveOnly(result, clients, P.n);
  await settle(ctx, P.settle_ms);
  // Senders take turns (Linli meters `send` per socket: 10 msg/s from one socket would be refused).
  const senders = live.slice(0, P.senders);
  let turn = 0;
  const sendOne = () => senders[(turn++) % senders.length].sendChat(run.nextG());
  const every = Math.round(1 / P.slow_frac);
  const slow = live.filter((c, i) => i >= P.senders && i % every === 0);
  const healthy = live.filter((c) => !slow.includes(c));
  for (const c of healthy) c.group = 'healthy';
  for (const c of slow) c.group = 'slow';
  const reps = [];
  // Control: the same traffic with every client reading.
  let a = await ctrl.snap();
  const pc = run.newPhase('control: all read');
  await paced(P.rate, P.control_s * 1000, sendOne);
  run.endPhase();
  let b = await ctrl.snap();
  reps.push({ p: pc, d: delta(a, b) });
  // Slow: 5 % stop reading.
  for (const c of slow) c.pause();
  a = await ctrl.snap();
  const rssSeries = [];
  const ps = run.newPhase(`slow: ${slow.length} stop reading`);
  const tSlow = nowMs();
  const sampler = (async () => {
    while (ps.t1 === null) {
      const s = await ctrl.snap();
      if (s.servers) rssSeries.push([round((nowMs() - tSlow) / 1000, 1), s.servers.reduce((x, y) => x + y.rss_kib, 0)]);
      await sleep(1000);
    }
  })();
  await paced(P.rate, Math.min(P.duration_s * 1000, ctx.deadline - nowMs() - P.recover_s * 1000 - 5000), sendOne);
  run.endPhase();
  await sampler;
  b = await ctrl.snap();
  reps.push({ p: ps, d: delta(a, b) });
  const healthyDrain = await waitUntil(() => reps.every(({ p }) => (p.hists.healthy?.n || 0) >= p.sent * healthy.length), Math.max(0, Math.min(P.drain_s * 1000, ctx.deadline - nowMs() - P.recover_s * 1000 - 3000)));
  // The slow ones read again; those the server closed reconnect and (Linli) sync.
  const tResume = nowMs();
  for (const c of slow) c.resume();
  await sleep(500);
  const closed = slow.filter((c) => c.closeInfo);
  const closeReasons = {};
  for (const c of closed) { const k = `${c.closeInfo.code} ${c.closeInfo.reason}`.trim(); closeReasons[k] = (closeReasons[k] || 0) + 1; }
  const room = run.peer === 'linli' ? Number(cfg.linli.big.room) : null;
  const lastSent = run.g;
  let recovered = 0;
  if (run.peer === 'linli') {
    await Promise.all(closed.map(async (c) => {
      try { await c.connect(10000); await c.sync(); } catch { /* counted below */ }
    }));
  }
  const isCurrent = (c) => (run.peer === 'linli'
    ? c.stream(room).next - 1 >= (run.roomLast.get(room) || 0)
    : senders.every((s) => (c.streams.get(s.idx)?.next ?? 0) - 1 >= s.sentN));
  await waitUntil(() => slow.every((c) => isCurrent(c)), Math.max(0, Math.min(P.recover_s * 1000, ctx.deadline - nowMs() - 2000)), 100);
  for (const c of slow) if (isCurrent(c) && run.account([c]).lost === 0) recovered++;
  const tRecovered = nowMs();
  const hReps = reps.map(({ p, d }) => {
    const rep = phaseReport(run, p, d);
    const hMissing = Math.max(0, p.sent * healthy.length - (p.hists.healthy?.n || 0));
    rep.latency_healthy = (p.hists.healthy || new Hist()).summary(hMissing);
    rep.healthy_missing = hMissing;
    return rep;
  });
  result.phases = hReps;
  const rss0 = rssSeries.length ? rssSeries[0][1] : null;
  const rssMax = rssSeries.length ? Math.max(...rssSeries.map((x) => x[1])) : null;
  const hc = hReps[0].latency_healthy.p99_ms;
  const hs = hReps[1].latency_healthy.p99_ms;
  result.summary = {
    slow_clients: slow.length,
    healthy_p99_control_ms: hc,
    healthy_p99_with_slow_ms: hs,
    healthy_p99_ratio: typeof hc === 'number' && typeof hs === 'number' && hc > 0 ? round(hs / hc, 2) : null,
    healthy_lost: run.account(healthy).lost,
    healthy_drained: healthyDrain,
    server_rss_start_kib: rss0,
    server_rss_peak_kib: rssMax,
    server_rss_growth_kib: rss0 !== null ? rssMax - rss0 : null,
    slow_closed_by_server: closed.length,
    slow_close_reasons: closeReasons,
    slow_current_after_s: round((tRecovered - tResume) / 1000, 2),
    slow_fully_recovered: recovered,
    slow_lost: run.account(slow).lost,
    messages_sent: lastSent,
  };
  result.rss_series = rssSeries;
  result.accounting = { healthy: accounting(run, healthy, 'healthy'), slow: accounting(run, slow, 'slow') };
}

// ---- S8: presence churn --------------------------------------------------------------------------------
export async function S8(ctx) {
  const { cfg, run, ctrl, result } = ctx;
  const P = cfg.params;
  const { clients, stats } = await connectAll(run, bigSpecs(cfg, P.n), { inFlight: P.in_flight, deadlineMs: connectBy(ctx, P) });
  result.connect = stats;
  const live = liveOnly(result, clients, P.n);
  await settle(ctx, P.settle_ms);
  const sender = live[0];
  const linli = run.peer === 'linli';
  const r = rng(11);
  const churned = new Set();
  const busy = new Set();
  let reconnects = 0;
  let reconnectFailures = 0;
  const churnOne = async (c) => {
    busy.add(c);
    churned.add(c);
    c.onClose = null;
    c.close(1000);
    await waitUntil(() => c.ws.readyState === 3, 5000, 20);
    if (!linli) { c.streams = new Map(); c.fromStart = false; } // the peers keep no history
    try {
      await c.connect(15000);
      if (linli) await c.sync();
      reconnects++;
    } catch { reconnectFailures++; }
    busy.delete(c);
  };
  const phase = async (name, seconds, churn) => {
    const pres0 = live.map((c) => c.presence);
    const a = await ctrl.snap();
    const p = run.newPhase(name);
    const dur = Math.min(seconds * 1000, ctx.deadline - nowMs() - P.drain_s * 1000 - 3000);
    const jobs = [];
    const churnLoop = churn ? poissonLoop((live.length * P.churn_frac) / P.churn_period_s, dur, r, () => {
      const c = live[1 + Math.floor(r() * (live.length - 1))];
      if (!busy.has(c)) jobs.push(churnOne(c));
    }) : Promise.resolve(0);
    await Promise.all([paced(P.chat_rate, dur, () => sender.sendChat(run.nextG())), churnLoop]);
    run.endPhase();
    const b = await ctrl.snap();
    await Promise.race([Promise.all(jobs), sleep(5000)]);
    const steady = live.filter((c) => !churned.has(c));
    const minutes = dur / 60000;
    let pres = 0;
    live.forEach((c, i) => { if (!churned.has(c)) pres += c.presence - pres0[i]; });
    return { p, d: delta(a, b), presence_per_client_per_min: steady.length ? round(pres / steady.length / minutes, 2) : null, steady: steady.length };
  };
  const base = await phase(`base: chat ${P.chat_rate} msg/s`, P.base_s, false);
  const churn = await phase(`churn: ${Math.round(P.churn_frac * 100)} % reconnect per ${P.churn_period_s} s`, P.churn_s, true);
  // Deliveries expected: everyone for the base phase; in churn, clients away miss live messages
  // (Linli fills them through sync, counted as sync deliveries, not live latency).
  result.drain = await drain(ctx, [base.p], live.length, P.drain_s * 1000);
  result.phases = [base, churn].map((x) => ({ ...phaseReport(run, x.p, x.d), presence_per_client_per_min: x.presence_per_client_per_min, steady_clients: x.steady }));
  const ub = base.d.server_cpu_util;
  const uc = churn.d.server_cpu_util;
  result.summary = {
    presence_per_client_per_min_base: base.presence_per_client_per_min,
    presence_per_client_per_min_churn: churn.presence_per_client_per_min,
    chat_p99_base_ms: result.phases[0].latency.p99_ms,
    chat_p99_churn_ms: result.phases[1].latency.p99_ms,
    server_cpu_util_base: ub ?? null,
    server_cpu_util_churn: uc ?? null,
    churn_share_of_cpu: ub !== undefined && uc ? round(Math.max(0, uc - ub) / uc, 3) : null,
    reconnects,
    reconnect_failures: reconnectFailures,
  };
  result.accounting = accounting(run, live);
}

export const SCENARIOS = { S1a, S1b, S2, S3, S4, S5, S6: S1b, S7, S8 };
export { frameCounts, closeAll, log };
