import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { CLI, waitFor, type Sandbox } from './sandbox.js';

/** A running `fleet dashboard --no-open`, started the way a user would. */
export interface RunningDashboard {
  url: string;
  origin: string;
  host: string;
  port: number;
  token: string;
  /** "name=value" of the session cookie. */
  cookie: string;
  stderr(): string;
  /** Ctrl+C; resolves with its exit code and stderr once it ended. */
  stop(): Promise<{ exitCode: number; stderr: string }>;
}

export async function startDashboard(sb: Sandbox, cwd: string, args: string[] = [], env: Record<string, string | undefined> = {}): Promise<RunningDashboard> {
  const proc: ResultPromise = execa(process.execPath, [CLI, 'dashboard', ...(args.includes('--open') ? args.filter((a) => a !== '--open') : ['--no-open', ...args])], {
    cwd,
    env: { ...sb.env, ...env },
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => (out += String(d)));
  proc.stderr!.on('data', (d) => (err += String(d)));
  let exited = false;
  void proc.then(() => (exited = true));
  const url = await waitFor(
    () => {
      if (exited) throw new Error(`fleet dashboard exited: ${err}`);
      return /^(http:\/\/\S+)\n/.exec(out)?.[1];
    },
    { timeout: 20_000, what: 'the dashboard URL on stdout' },
  );
  const u = new URL(url);
  const port = Number(u.port);
  const token = u.searchParams.get('token') ?? '';
  stopped.add(proc);
  return {
    url,
    origin: u.origin,
    host: u.hostname,
    port,
    token,
    cookie: `fleet_dashboard_${port}=${token}`,
    stderr: () => err,
    async stop() {
      if (!exited) proc.kill('SIGINT');
      const r = await proc;
      stopped.delete(proc);
      return { exitCode: r.exitCode ?? 1, stderr: err };
    },
  };
}

const stopped = new Set<ResultPromise>();

/** Kill any dashboard a failed test left running. */
export async function stopAllDashboards(): Promise<void> {
  for (const p of stopped) p.kill('SIGKILL');
  await Promise.allSettled([...stopped]);
  stopped.clear();
}

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A raw HTTP request (any Host, Origin or cookie, as an attacker would send them). */
export function request(dash: Pick<RunningDashboard, 'port'>, opts: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: dash.port, method: opts.method ?? 'GET', path: opts.path, headers: { Host: `127.0.0.1:${dash.port}`, ...opts.headers } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          body += d;
          // Event streams never end: the first event is enough.
          if (String(res.headers['content-type']).startsWith('text/event-stream') && body.includes('\n\n')) {
            res.destroy();
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
          }
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/**
 * Debian's chromium, as CI installs it (.ci/run). Missing, the browser tests fail: a browser
 * test that skips itself is a test that never runs.
 */
export const CHROMIUM = process.env.FLEET_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(profileDir: string, viewport = { width: 1280, height: 800 }) {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`chromium not found at ${CHROMIUM}: the dashboard's browser tests need it (apt-get install chromium; .ci/run installs it), or set FLEET_CHROMIUM`);
  }
  const { chromium } = await import('playwright-core');
  fs.mkdirSync(profileDir, { recursive: true });
  return chromium.launchPersistentContext(path.resolve(profileDir), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
  });
}

/** Run `fn` with a dashboard; always stops it (and fails when it did not stop with 130). */
export async function withDashboard<T>(dash: RunningDashboard, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } finally {
    await dash.stop();
  }
}

export { execa };
