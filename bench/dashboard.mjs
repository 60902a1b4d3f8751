// bench/dashboard: what `fleet dashboard` costs while it serves. 50 live stand-in agents, one
// page's event stream (a node client standing in for the browser), then:
//   - CPU of the server over a window once the agents are quiet (its own, and with its children:
//     the tmux/ps/git calls), as a percentage of one core; goal < 2%. The tmux server's CPU over
//     the same window is shown too.
//   - the same with one terminal view open (its pane read every 250 ms);
//   - latency from a change in tmux (an agent's pane dies) to the page's event saying so; goal < 1 s.
//
//   node bench/dashboard.mjs [--agents 50] [--seconds 30] [--probes 10] [--profile]
//
// --profile also writes a CPU profile of the server and prints where its time goes.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { CLI, makeBenchEnv, makeRepo, median, report } from './lib.mjs';
import { summarizeProfile } from './profile.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const AGENTS = arg('agents', 50);
const SECONDS = arg('seconds', 30);
const PROBES = Math.min(arg('probes', 10), AGENTS);
const PROFILE = process.argv.includes('--profile');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const TICK_MS = 1000 / 100; // USER_HZ

/** CPU time of a process (and of its reaped children) in ms, from /proc/<pid>/stat. */
function cpuOf(pid) {
  const text = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const self = (Number(f[11]) + Number(f[12])) * TICK_MS;
  const children = (Number(f[13]) + Number(f[14])) * TICK_MS;
  return { self, children };
}

/** A server-sent event stream as the page reads it: calls onEvent(name, data) for each event. */
function stream(port, cookie, pathName, onEvent) {
  let bytes = 0;
  const req = http.get({ host: '127.0.0.1', port, path: pathName, headers: { Host: `127.0.0.1:${port}`, Cookie: cookie } }, (res) => {
    if (res.statusCode !== 200) throw new Error(`${pathName}: HTTP ${res.statusCode}`);
    res.setEncoding('utf8');
    let buf = '';
    res.on('data', (d) => {
      bytes += d.length;
      buf += d;
      let i;
      while ((i = buf.indexOf('\n\n')) !== -1) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        let name = 'message';
        let data = '';
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) name = line.slice(7);
          else if (line.startsWith('data: ')) data += line.slice(6);
        }
        if (data) onEvent(name, data);
      }
    });
  });
  req.on('error', () => undefined);
  return { close: () => req.destroy(), bytes: () => bytes };
}

const { dir, env, cleanup } = makeBenchEnv('fbench-dash-');
let server = null;
process.on('SIGINT', () => {
  server?.kill('SIGKILL');
  cleanup();
  process.exit(130);
});
try {
  const repo = makeRepo(path.join(dir, 'repo'), env, 300);
  fs.mkdirSync(env.AI_FLEET_HOME, { recursive: true });
  fs.writeFileSync(path.join(env.AI_FLEET_HOME, 'config.toml'), 'default_agent = "shell"\nmax_parallel = 8\n');
  const t0 = performance.now();
  // Stand-in agents that wait for a line, then exit 7: a key sent with tmux is the probe's status change.
  execFileSync(process.execPath, [CLI, 'fanout', String(AGENTS), 'agent', '--quick', '-p', 'read -r _; exit 7'], { cwd: repo, env, stdio: 'ignore' });
  const setupS = ((performance.now() - t0) / 1000).toFixed(1);

  const profDir = path.join(dir, 'prof');
  const nodeArgs = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
  server = spawn(process.execPath, [...nodeArgs, CLI, 'dashboard', '--no-open'], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  server.stdout.on('data', (d) => (out += d));
  const deadline = Date.now() + 20_000;
  while (!/^http:\/\/\S+\n/.test(out)) {
    if (Date.now() > deadline || server.exitCode !== null) throw new Error(`no URL from fleet dashboard: ${out}`);
    await sleep(20);
  }
  const url = new URL(out.split('\n')[0]);
  const port = Number(url.port);
  const cookie = `fleet_dashboard_${port}=${url.searchParams.get('token')}`;

  // One page: its event stream. Keep the latest list and when each agent was last seen exited.
  let rows = [];
  let events = 0;
  const exitedAt = new Map();
  const page = stream(port, cookie, '/api/events', (name, data) => {
    if (name !== 'agents') return;
    events++;
    rows = JSON.parse(data);
    const now = performance.now();
    for (const r of rows) if (r.status === 'exited' && !exitedAt.has(r.session)) exitedAt.set(r.session, now);
  });

  // Warm-up: the first list, then every agent's changes worked out once (a few git calls each).
  const warm0 = performance.now();
  const cpuWarm0 = cpuOf(server.pid);
  while (!(rows.length === AGENTS && rows.every((r) => r.changes))) {
    if (performance.now() - warm0 > 120_000) throw new Error('the changes of every agent did not arrive within 2 minutes');
    await sleep(50);
  }
  const warmS = (performance.now() - warm0) / 1000;
  const cpuWarm1 = cpuOf(server.pid);
  // The stand-ins go quiet after their first output: once all read as idle, their changes are
  // worked out once more (a status change may mean a finished turn). Measure after that.
  while (!rows.every((r) => r.status === 'idle')) {
    if (performance.now() - warm0 > 180_000) throw new Error('the agents did not all turn idle');
    await sleep(100);
  }
  await sleep(5_000);

  const tmuxPid = Number(execFileSync('tmux', ['display-message', '-p', '#{pid}'], { env, encoding: 'utf8' }).trim());
  const window = async (seconds) => {
    const a = cpuOf(server.pid);
    const ta = cpuOf(tmuxPid);
    const e0 = events;
    const b0 = page.bytes();
    const w0 = performance.now();
    await sleep(seconds * 1000);
    const wall = performance.now() - w0;
    const b = cpuOf(server.pid);
    const tb = cpuOf(tmuxPid);
    const pct = (ms) => `${((ms / wall) * 100).toFixed(2)}%`;
    return {
      self: pct(b.self - a.self),
      withChildren: pct(b.self - a.self + b.children - a.children),
      tmux: pct(tb.self - ta.self),
      events: events - e0,
      bytes: page.bytes() - b0,
      selfPct: ((b.self - a.self) / wall) * 100,
    };
  };

  const idle = await window(SECONDS);

  // One terminal open: the first agent's pane read every 250 ms, frames only when it changes.
  let frames = 0;
  const term = stream(port, cookie, `/api/agents/${rows[0].session}/screen`, (name) => name === 'frame' && frames++);
  await sleep(1_000);
  const viewing = await window(Math.max(5, Math.round(SECONDS / 3)));
  term.close();

  // Latency: a key into an agent makes it exit; time until the page's stream says "exited".
  const latencies = [];
  const probed = rows.slice(-PROBES);
  for (const r of probed) {
    await sleep(300 + Math.random() * 700); // land anywhere in the refresh cycle
    const sent = performance.now();
    execFileSync('tmux', ['send-keys', '-t', `=${r.session}:`, 'Enter'], { env });
    while (!exitedAt.has(r.session)) {
      if (performance.now() - sent > 10_000) throw new Error(`no exit of ${r.session} on the page within 10 s`);
      await sleep(5);
    }
    latencies.push(exitedAt.get(r.session) - sent);
  }
  page.close();

  server.kill('SIGINT');
  const code = await new Promise((resolve) => server.once('exit', (c) => resolve(c)));

  const warmCpu = cpuWarm1.self - cpuWarm0.self + cpuWarm1.children - cpuWarm0.children;
  report(`fleet dashboard, ${AGENTS} live agents (set up in ${setupS} s), one page listening`, [
    ['first list + every agent\'s changes', `${warmS.toFixed(1)} s, ${(warmCpu / 1000).toFixed(2)} s of CPU (server + its git/tmux/ps)`],
    [`server CPU, ${SECONDS} s window (goal < 2%)`, `${idle.self} of one core ${idle.selfPct < 2 ? '(goal met)' : '(GOAL MISSED)'}`],
    ['  with its tmux/ps/git children', idle.withChildren],
    ['  tmux server meanwhile', idle.tmux],
    ['  list events sent / bytes', `${idle.events} / ${idle.bytes}`],
    ['server CPU, one terminal view open', `${viewing.self} (with children ${viewing.withChildren}; tmux server ${viewing.tmux}); ${frames} frames`],
    [`tmux change -> page event, ${latencies.length} probes`, `median ${median(latencies).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms ${Math.max(...latencies) < 1000 ? '(goal < 1 s met)' : '(GOAL MISSED)'}`],
    ['exit status after Ctrl+C', String(code === null ? 'signal' : code)],
  ]);
  if (PROFILE) {
    const file = path.join(profDir, fs.readdirSync(profDir)[0]);
    console.log(`\n  where the server's main-thread time goes (CPU profile, self time, whole run):`);
    for (const line of summarizeProfile(file)) console.log(`    ${line}`);
  }
} finally {
  if (server && server.exitCode === null) server.kill('SIGKILL');
  cleanup();
}
