// The load generator: one process (run.py pins it to the core the server is not on).
//
//   node bench/loadgen/main.mjs --config CONFIG.json [--no-ctrl]
//
// CONFIG: {peer, scenario, params, ports, aux_port?, tokens_file? (Linli), hard_limit_s, label}.
// It prints `CTRL {...}` lines to ask run.py for snapshots (server CPU/RSS, Redis, PostgreSQL) or
// to kill/restart the server, reads the answers on stdin, and ends with one `RESULT {...}` line.
import { Run } from './clients.mjs';
import { Ctrl, loadConfig, frameCounts, closeAll } from './harness.mjs';
import { SCENARIOS } from './scenarios.mjs';
import { nowMs, log } from './lib.mjs';

const argv = process.argv.slice(2);
const cfgPath = argv[argv.indexOf('--config') + 1];
if (!argv.includes('--config') || !cfgPath) {
  process.stderr.write('usage: node main.mjs --config CONFIG.json [--no-ctrl]\n');
  process.exit(2);
}
const cfg = loadConfig(cfgPath);
const ctrl = new Ctrl(!argv.includes('--no-ctrl'));
// Redis does part of the work for the servers on a channel layer: count its CPU too (whole Redis).
if (cfg.peer === 'linli' || cfg.peer === 'channels-naive') ctrl.defaults.redis = true;
const run = new Run(cfg);
const started = nowMs();
const result = {
  scenario: cfg.scenario, label: cfg.label || cfg.scenario, peer: cfg.peer, params: cfg.params, notes: [], timeout: false,
};
const ctx = { cfg, run, ctrl, result, deadline: started + cfg.hard_limit_s * 1000 };
const cpu0 = process.cpuUsage();

let emitted = false;
function emit(extra = {}) {
  if (emitted) return;
  emitted = true;
  const cpu = process.cpuUsage(cpu0);
  const wall = (nowMs() - started) / 1000;
  Object.assign(result, extra, {
    wall_s: Math.round(wall * 100) / 100,
    loadgen: {
      cpu_s: Math.round((cpu.user + cpu.system) / 1e4) / 100,
      cpu_util_whole_run: Math.round(((cpu.user + cpu.system) / 1e6 / wall) * 1000) / 1000,
      max_rss_kib: Math.round(process.resourceUsage().maxRSS),
      node: process.version,
    },
    frames: frameCounts(run),
  });
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

// The hard limit: whatever happens, report and stop.
const hard = setTimeout(() => {
  result.timeout = true;
  result.notes.push(`hard limit of ${cfg.hard_limit_s} s reached`);
  emit();
  process.exit(3);
}, cfg.hard_limit_s * 1000 + 5000);

const fn = SCENARIOS[cfg.scenario];
if (!fn) { result.error = `unknown scenario ${cfg.scenario}`; emit(); process.exit(2); }
log(`${cfg.label || cfg.scenario} against ${cfg.peer} on ports ${cfg.ports.join(',')}`);
try {
  await fn(ctx);
} catch (e) {
  result.error = String(e && e.stack || e);
  log(`error: ${result.error}`);
}
emit();
clearTimeout(hard);
await Promise.race([closeAll(run.clients, 3000), new Promise((r) => setTimeout(r, 4000))]);
process.exit(result.error ? 1 : 0);
