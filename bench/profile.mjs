// Helpers for bench/list and bench/startup: peak memory of a run, and a CPU profile summed by
// where the time goes (which bundle chunk or node internal, and the hottest functions).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Peak resident memory of one run, via GNU time (when present). */
export function peakRss(cmd, args, opts) {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { ...opts, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const kb = Number(r.stderr?.trim().split('\n').pop());
  return r.status === 0 && Number.isFinite(kb) ? `${(kb / 1024).toFixed(1)} MiB` : 'n/a (no /usr/bin/time)';
}

/** Self time of a .cpuprofile, by script and by function: the top lines, as text. */
export function summarizeProfile(file, top = 12) {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = prof.timeDeltas;
  for (let i = 0; i < prof.samples.length; i++) self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (dt[i] ?? 0));
  const byScript = new Map();
  const byFn = new Map();
  let total = 0;
  for (const [id, us] of self) {
    const cf = byId.get(id).callFrame;
    const script = cf.url ? path.basename(cf.url) : `(${cf.functionName || 'native'})`;
    byScript.set(script, (byScript.get(script) ?? 0) + us);
    const fn = `${cf.functionName || '(anonymous)'} ${script}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + us);
    total += us;
  }
  const fmt = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, us]) => `${(us / 1000).toFixed(1).padStart(6)} ms  ${k}`);
  return [`total sampled: ${(total / 1000).toFixed(1)} ms`, 'by script:', ...fmt(byScript), 'by function:', ...fmt(byFn)];
}
