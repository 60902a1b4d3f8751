// bench/remote: remote hosts over a loopback sshd (started here with its own user, like the
// tests; needs root or passwordless sudo and openssh-server).
//
//   node bench/remote.mjs [--agents 20] [--runs 30] [--sync-runs 5]
//
// 1. list: `tmux list-panes -a -F <fleet's format>` on a host with N tmux sessions, through
//    fleet's remote runner with the control master warm, against one bare
//    `ssh host tmux list-panes -a` (a fresh connection, what a user would type); then the real
//    thing: `fleet list --json` (the built CLI, a process per run) with N agents made by
//    `fleet fanout N --host loop`, against the same bare ssh. Needs `npm run build` first.
// 2. sync: getting a base commit onto the host, the two ways that never need the host to reach
//    origin: `git push` over GIT_SSH_COMMAND (what repo-sync.ts does) vs a `git bundle` piped
//    through ssh's stdin; cold (empty clone on the host) and incremental (one new commit).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLI, importBundled, makeBenchEnv, makeRepo, median, report, timeRun } from './lib.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const AGENTS = arg('agents', 20);
const RUNS = arg('runs', 30);
const SYNC_RUNS = arg('sync-runs', 5);

// The harness and the remote modules are TypeScript: bundled once (lib.importBundled).
const lib = await importBundled('remote-lib', [
  "export { startSshd } from './test/helpers/sshd.ts';",
  "export { remoteRunner } from './src/remote/remote-runner.ts';",
  "export { DEFAULT_POLICY, parseSshCommand, sshArgv } from './src/remote/ssh-command.ts';",
  "export { syncBase } from './src/remote/repo-sync.ts';",
  "export { shJoin } from './src/core/shell-words.ts';",
  "export { PANE_FORMAT } from './src/core/parse.ts';",
  "export { run } from './src/process/runner.ts';",
]);

const { dir, env, cleanup } = makeBenchEnv('fbench-remote-');
const sshd = await lib.startSshd();
const stop = async () => {
  await sshd.stop();
  cleanup();
};
process.on('SIGINT', () => {
  void stop().then(() => process.exit(130));
});

const time = async (fn) => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};

try {
  const policy = { ...lib.DEFAULT_POLICY, controlDir: path.join(dir, 'ssh') };
  fs.mkdirSync(policy.controlDir, { mode: 0o700 });
  const host = { name: 'loop', target: lib.parseSshCommand(sshd.sshCommand()) };
  const remote = lib.remoteRunner(host, { policy, timeoutMs: 20_000 });

  // ---- 1. list ------------------------------------------------------------------------------
  const made = await sshd.exec(`for i in $(seq 1 ${AGENTS}); do tmux new-session -d -s fleet_app_agent-$i -x 200 -y 50 'sleep 100000' || exit 1; done`);
  if (made.exitCode !== 0) throw new Error(`could not start the remote sessions: ${made.stderr}`);
  const first = await time(() => remote('tmux', ['list-panes', '-a', '-F', lib.PANE_FORMAT]));
  const panes = (await remote('tmux', ['list-panes', '-a', '-F', lib.PANE_FORMAT])).stdout.split('\n').filter(Boolean);
  if (panes.length !== AGENTS) throw new Error(`expected ${AGENTS} panes, got ${panes.length}`);

  const bare = sshd.sshArgv(['-o', 'BatchMode=yes', '-T']);
  // Bounded: a login that never answers fails the bench instead of hanging it.
  const bareListPanes = () => timeRun(bare[0], [...bare.slice(1), 'tmux list-panes -a'], { timeout: 20_000 });
  const ta = [];
  const tb = [];
  for (let i = 0; i < RUNS; i++) {
    const a = async () => ta.push(await time(() => remote('tmux', ['list-panes', '-a', '-F', lib.PANE_FORMAT])));
    const b = async () => tb.push(bareListPanes());
    if (i % 2 === 0) {
      await a();
      await b();
    } else {
      await b();
      await a();
    }
  }
  const [ma, mb] = [median(ta), median(tb)];
  report(`remote list floor: ${AGENTS} tmux sessions on a loopback sshd, ${RUNS} alternating runs`, [
    ['runner, master warm (median)', `${ma.toFixed(1)} ms`],
    ['runner, first call (opens master)', `${first.toFixed(1)} ms`],
    ['bare ssh host tmux list-panes -a', `${mb.toFixed(1)} ms`],
    ['ratio runner / bare ssh', `${(ma / mb).toFixed(2)}x`],
  ]);
  await sshd.exec('tmux kill-server');

  // ---- 1b. fleet list with N agents on the host ---------------------------------------------------
  const appRepo = makeRepo(path.join(dir, 'app'), env, 10);
  fs.mkdirSync(env.AI_FLEET_HOME, { recursive: true });
  fs.writeFileSync(
    path.join(env.AI_FLEET_HOME, 'config.toml'),
    `default_agent = "idle"\nmax_parallel = 8\n[agents.idle]\ncommand = ["sh", "-c", "exec sleep 100000", "idle", "{prompt}"]\n[hosts.loop]\nssh = ${JSON.stringify(sshd.sshCommand())}\n`,
  );
  const fan = spawnSync(process.execPath, [CLI, 'fanout', String(AGENTS), 'agent', '--host', 'loop', '--quick', '-p', 'x', '--verbose'], { cwd: appRepo, env, encoding: 'utf8', timeout: 90_000 });
  if (fan.status !== 0) throw new Error(`fleet fanout failed (${fan.status ?? fan.signal}): ${fan.stderr.split('\n').slice(-30).join('\n')}`);
  const rows = JSON.parse(spawnSync(process.execPath, [CLI, 'list', '--json'], { cwd: appRepo, env, encoding: 'utf8' }).stdout);
  if (rows.length !== AGENTS || rows.some((r) => r.host !== 'loop' || !['running', 'idle'].includes(r.status))) {
    throw new Error(`expected ${AGENTS} live agents on loop, got ${JSON.stringify(rows.map((r) => [r.host, r.status]))}`);
  }
  const tl = [];
  const tb2 = [];
  for (let i = 0; i < RUNS; i++) {
    const a = () => tl.push(timeRun(process.execPath, [CLI, 'list', '--json'], { cwd: appRepo, env }));
    const b = () => tb2.push(bareListPanes());
    if (i % 2 === 0) {
      a();
      b();
    } else {
      b();
      a();
    }
  }
  const [ml, mb2] = [median(tl), median(tb2)];
  report(`fleet list --json with ${AGENTS} agents on one host (loopback sshd), ${RUNS} alternating runs`, [
    ['fleet list --json (median, master warm across runs)', `${ml.toFixed(1)} ms`],
    ['bare ssh host tmux list-panes -a', `${mb2.toFixed(1)} ms`],
    ['ratio fleet list / bare ssh', `${(ml / mb2).toFixed(2)}x`],
  ]);
  spawnSync(process.execPath, [CLI, 'kill', '--batch', 'agent', '--yes', '--force'], { cwd: appRepo, env, stdio: 'ignore' });

  // ---- 2. sync: push vs bundle ------------------------------------------------------------------
  const repo = makeRepo(path.join(dir, 'repo'), env, 3000);
  const git = (...a) => {
    const r = spawnSync('git', a, { cwd: repo, env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${a.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const newCommit = (i) => {
    fs.writeFileSync(path.join(repo, 'src', `change-${i}.ts`), `export const c = ${i};\n`);
    git('add', '-A');
    git('commit', '-q', '-m', `change ${i}`);
    return git('rev-parse', 'HEAD');
  };
  const local = (c, a, o = {}) => lib.run(c, a, { ...o, env: { ...env, ...o.env } });
  const g = { host, policy, remote, local };
  const size = spawnSync('sh', ['-c', "git count-objects -vH | grep -E '^size(-pack)?:' | paste -sd ' '"], { cwd: repo, env, encoding: 'utf8' }).stdout.trim();

  const [sshCmd, sshArgs] = lib.sshArgv(host.target, policy, null);
  const sshLine = lib.shJoin([sshCmd, ...sshArgs]);
  /** Bundle way: (incremental: one call to learn what the host has) + bundle piped over stdin. */
  const bundleSync = async (remotePath, commit, ref) => {
    const haves = (await remote('git', ['-C', remotePath, 'for-each-ref', '--format=%(objectname)', 'refs/fleet/base/'])).stdout.split('\n').filter(Boolean);
    const script = `set -e; t=$(mktemp); trap 'rm -f "$t"' EXIT; cat > "$t"; git -C "$1" bundle unbundle "$t" >/dev/null; git -C "$1" update-ref "refs/fleet/base/$2" "$2"`;
    const remoteCmd = lib.shJoin(['sh', '-c', script, 'fleet-unbundle', remotePath, commit]);
    const pipeline = `git bundle create --quiet - ${ref} ${haves.map((h) => `^${h}`).join(' ')} | ${sshLine} ${lib.shJoin([remoteCmd])}`;
    const r = spawnSync('sh', ['-c', pipeline], { cwd: repo, env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`bundle sync failed: ${r.stderr}`);
  };
  const fresh = async (p) => {
    await remote('sh', ['-c', 'rm -rf -- "$1" && mkdir -p -- "$1" && git init -q --bare -- "$1"', 'x', p]);
    return `${sshd.home}/${p}`;
  };

  const cold = { push: [], bundle: [] };
  const incr = { push: [], bundle: [] };
  let n = 0;
  for (let i = 0; i < SYNC_RUNS; i++) {
    git('branch', '-f', 'bench-tip', 'HEAD');
    const base = git('rev-parse', 'HEAD');
    await fresh('push-repo');
    const bundlePath = await fresh('bundle-repo');
    cold.push.push(await time(() => lib.syncBase(g, { localRepo: repo, repoPath: '~/push-repo', commit: base })));
    cold.bundle.push(await time(() => bundleSync(bundlePath, base, 'bench-tip')));
    const next = newCommit(++n);
    git('branch', '-f', 'bench-tip', 'HEAD');
    incr.push.push(await time(() => lib.syncBase(g, { localRepo: repo, repoPath: '~/push-repo', commit: next })));
    incr.bundle.push(await time(() => bundleSync(bundlePath, next, 'bench-tip')));
    for (const p of ['push-repo', 'bundle-repo']) {
      const has = await remote('git', ['-C', `${sshd.home}/${p}`, 'cat-file', '-e', `${next}^{commit}`], { reject: false });
      if (has.exitCode !== 0) throw new Error(`${p} lacks the commit after sync`);
    }
  }
  report(`base commit onto the host (3000-file repo, ${size}), ${SYNC_RUNS} runs, master warm`, [
    ['cold: git push (median)', `${median(cold.push).toFixed(1)} ms`],
    ['cold: bundle over stdin (median)', `${median(cold.bundle).toFixed(1)} ms`],
    ['1 new commit: git push (median)', `${median(incr.push).toFixed(1)} ms`],
    ['1 new commit: bundle (median)', `${median(incr.bundle).toFixed(1)} ms`],
    ['already there: syncBase (1 ssh call)', `${median(await Promise.all([0, 1, 2].map(() => time(() => lib.syncBase(g, { localRepo: repo, repoPath: '~/push-repo', commit: git('rev-parse', 'HEAD') }))))).toFixed(1)} ms`],
  ]);
} finally {
  await stop();
}
