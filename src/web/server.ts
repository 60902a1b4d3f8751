/**
 * The dashboard's HTTP server: node:http, one page, a JSON API and two server-sent event
 * streams (the agent list; one agent's screen). Every request passes the guards in
 * security.ts first; every action goes through the FleetOps adapter, as the CLI would do it.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FleetError, InterruptedError, UsageError } from '../errors.js';
import { NotFound, NotReadyError, type FleetOps } from './fleet-ops.js';
import { DEFAULT_LIVE, LiveFleet, type LiveOptions } from './live.js';
import { ScreenMirrors, type MirrorOptions, type ScreenEvent } from './screen.js';
import { BadRequest, createBody, fanoutBody, killBody, pickBody, promptBody, sessionParam } from './requests.js';
import { SECURITY_HEADERS, authority, cookieName, hostAllowed, newToken, originAllowed, originOf, readCookie, sameSecret, sessionCookie } from './security.js';
import type { ApiError, Hello } from './protocol.js';

declare const __FLEET_VERSION__: string;

/** Bodies larger than this are refused (a 1 MiB prompt, JSON-escaped, fits). */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

export interface DashboardOptions {
  host: string;
  port: number;
  /** Where app.js and app.css are (dist/web). */
  assetsDir?: string;
  live?: Partial<LiveOptions>;
  screens?: Partial<MirrorOptions>;
}

export interface Dashboard {
  /** The URL to open, with the token. */
  url: string;
  origin: string;
  port: number;
  live: LiveFleet;
  mirrors: ScreenMirrors;
  /** Stop listening, end every stream, abort what is in progress and wait for it (rollbacks included). */
  close(): Promise<void>;
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>fleet dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/app.css">
<script src="/assets/app.js" defer></script>
</head>
<body><div id="app"><p class="boot">loading…</p></div></body>
</html>
`;

const ASSETS: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

function defaultAssetsDir(): string {
  // The server is bundled into dist/, the page into dist/web/.
  return fileURLToPath(new URL('./web/', import.meta.url));
}

function loadAssets(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const name of Object.keys(ASSETS)) {
    const file = path.join(dir, name);
    try {
      out.set(name, fs.readFileSync(file));
    } catch {
      throw new FleetError(`the dashboard's page is missing (${file})`, { hint: 'build it: npm run build' });
    }
  }
  return out;
}

/** An error as the page shows it, and its HTTP status. */
function errorAnswer(e: unknown): { status: number; body: ApiError } {
  if (e instanceof BadRequest) return { status: 400, body: { error: e.message } };
  if (e instanceof NotFound) return { status: 404, body: { error: e.message, hint: e.hint } };
  if (e instanceof UsageError) return { status: 400, body: { error: e.message, hint: e.hint } };
  if (e instanceof InterruptedError) return { status: 503, body: { error: e.message, hint: e.hint } };
  // A prompt refused while the agent is starting or at a dialog: the page may offer to force it.
  if (e instanceof NotReadyError) return { status: 409, body: { error: e.message, hint: e.hint, refused: { status: e.status, reason: e.reason } } };
  // A refusal (uncommitted work, an exited agent, a conflict): the request was fine, the state says no.
  if (e instanceof FleetError) return { status: 409, body: { error: e.message, hint: e.hint } };
  return { status: 500, body: { error: (e as Error)?.message ?? String(e), hint: 'the dashboard terminal may say more (run it with --verbose)' } };
}

export async function startDashboard(ops: FleetOps, opts: DashboardOptions): Promise<Dashboard> {
  const assets = loadAssets(opts.assetsDir ?? defaultAssetsDir());
  const token = newToken();
  // A new viewer of a terminal makes the one refresh loop look at once.
  const mirrors = new ScreenMirrors({ historyLines: 200, ...opts.screens }, () => live.kick());
  const live: LiveFleet = new LiveFleet(ops, mirrors, { ...DEFAULT_LIVE, ...opts.live });
  const shutdown = new AbortController();
  const inflight = new Set<Promise<unknown>>();
  const streams = new Set<http.ServerResponse>();
  let port = opts.port;
  const host = opts.host;

  const hello: Hello = {
    version: typeof __FLEET_VERSION__ === 'string' ? __FLEET_VERSION__ : 'dev',
    all: ops.all,
    repo: ops.repo ? { root: ops.repo.root, name: ops.repo.name } : null,
  };

  const send = (res: http.ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}) => {
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), ...extra });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  };
  const json = (res: http.ServerResponse, status: number, value: unknown) => send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
  const text = (res: http.ServerResponse, status: number, message: string) => send(res, status, 'text/plain; charset=utf-8', message + '\n');

  const readBody = (req: http.IncomingMessage): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > MAX_BODY_BYTES) {
        req.resume(); // read and drop it, so the answer reaches a client that is still sending
        return reject(new TooLarge());
      }
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY_BYTES) {
          req.removeAllListeners('data');
          reject(new TooLarge());
          req.resume();
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => {
        if (size > MAX_BODY_BYTES) return;
        const raw = Buffer.concat(chunks).toString('utf8');
        try {
          resolve(raw === '' ? {} : JSON.parse(raw));
        } catch {
          reject(new BadRequest('the request body is not valid JSON'));
        }
      });
      req.on('error', reject);
    });

  /** Open a server-sent event stream; it ends when the page goes or the server closes. */
  const openStream = (req: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.write('retry: 2000\n\n');
    streams.add(res);
    const ping = setInterval(() => !res.destroyed && res.write(': ping\n\n'), 20_000);
    // A page that went away mid-write must not take the server down with it.
    res.on('error', () => undefined);
    const emit = (event: string, data: string) => {
      if (!res.destroyed && !res.writableEnded) res.write(`event: ${event}\ndata: ${data}\n\n`);
    };
    const done = new Promise<void>((resolve) => {
      const end = () => {
        clearInterval(ping);
        streams.delete(res);
        resolve();
      };
      req.on('close', end);
      res.on('close', end);
    });
    return { emit, done };
  };

  /** Run an action as part of the server's in-flight work (closing waits for it). */
  const track = <T>(p: Promise<T>): Promise<T> => {
    inflight.add(p);
    void p.finally(() => inflight.delete(p)).catch(() => undefined);
    return p;
  };

  const act = async (res: http.ServerResponse, work: () => Promise<unknown>) => {
    if (shutdown.signal.aborted) return json(res, 503, { error: 'the dashboard is stopping' });
    try {
      const result = await track(work());
      json(res, 200, result ?? { ok: true });
    } catch (e) {
      const { status, body } = errorAnswer(e);
      json(res, status, body);
    } finally {
      live.refreshSoon();
    }
  };

  const progress = (op: string) => (branch: string, state: string, detail?: string) =>
    live.announce('progress', JSON.stringify({ op, branch, state, detail: detail ?? null }));
  let ops_ = 0;

  const route = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> => {
    const method = req.method ?? 'GET';
    const p = url.pathname;

    if (method === 'GET' || method === 'HEAD') {
      if (p === '/') return send(res, 200, 'text/html; charset=utf-8', PAGE);
      const asset = /^\/assets\/([a-z.]+)$/.exec(p)?.[1];
      if (asset && assets.has(asset)) return send(res, 200, ASSETS[asset]!, assets.get(asset)!);
      if (p === '/api/events') {
        const { emit, done } = openStream(req, res);
        emit('hello', JSON.stringify(hello));
        const stop = live.subscribe(emit);
        await done;
        stop();
        return;
      }
      if (p === '/api/repos') return act(res, () => ops.repos());
      const m = /^\/api\/agents\/([^/]+)\/(screen|diff)$/.exec(p);
      if (m) {
        const session = sessionParam(m[1]!);
        if (m[2] === 'diff') {
          live.invalidateChanges(session);
          return act(res, () => ops.diff(session));
        }
        await ops.checkAgent(session); // fleet's agents only, not any tmux session of the user's
        const { emit, done } = openStream(req, res);
        const stop = mirrors.watch(session, (e: ScreenEvent) => {
          if (e.type === 'frame') emit('frame', JSON.stringify(e.frame));
          else {
            emit('gone', JSON.stringify({ error: e.message, hint: e.hint }));
            res.end();
          }
        });
        await done;
        stop();
        return;
      }
      return text(res, 404, 'not found');
    }

    if (method !== 'POST') return text(res, 405, 'method not allowed');
    const type = String(req.headers['content-type'] ?? '');
    if (!/^application\/json(;|$)/i.test(type)) return text(res, 415, 'send JSON (Content-Type: application/json)');
    let body: unknown;
    try {
      body = await readBody(req);
    } catch (e) {
      if (e instanceof TooLarge) {
        return json(res, 413, { error: `the request is larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB` });
      }
      return json(res, 400, { error: (e as Error).message });
    }

    try {
      if (p === '/api/create') {
        const r = createBody(body);
        const op = `create-${++ops_}`;
        return act(res, () => ops.create(r, progress(op), shutdown.signal));
      }
      if (p === '/api/fanout') {
        const r = fanoutBody(body);
        const op = `fanout-${++ops_}`;
        return act(res, () => ops.fanout(r, progress(op)));
      }
      const m = /^\/api\/agents\/([^/]+)\/(prompt|kill|pick-plan|pick)$/.exec(p);
      if (m) {
        const session = sessionParam(m[1]!);
        switch (m[2]) {
          case 'prompt': {
            const { text: t, force } = promptBody(body);
            live.invalidateChanges(session);
            return act(res, () => ops.prompt(session, t, { force }));
          }
          case 'kill': {
            const r = killBody(body);
            return act(res, () => ops.kill(session, r));
          }
          case 'pick-plan': {
            const r = pickBody(body);
            return act(res, () => ops.planPick(session, r));
          }
          case 'pick': {
            const r = pickBody(body);
            return act(res, () => ops.pick(session, r, shutdown.signal));
          }
        }
      }
    } catch (e) {
      const { status, body: b } = errorAnswer(e);
      return json(res, status, b);
    }
    return text(res, 404, 'not found');
  };

  const server = http.createServer((req, res) => {
    // DNS rebinding: a page on another name that resolves here sends its own name as Host.
    if (!hostAllowed(req.headers.host, host, port)) return text(res, 421, `wrong host: this dashboard answers at ${authority(host, port)} only`);
    const url = new URL(req.url ?? '/', originOf(host, port));
    const method = req.method ?? 'GET';
    const cookie = readCookie(req.headers.cookie, cookieName(port));

    // The token in the URL, once: exchanged for a cookie the page's scripts cannot read.
    const given = url.searchParams.get('token');
    if (given !== null && url.pathname === '/' && (method === 'GET' || method === 'HEAD')) {
      if (!sameSecret(given, token)) return text(res, 401, 'unauthorized: this token is not the one fleet dashboard printed');
      // The page removes the token from the address bar (history.replaceState) as it loads. A
      // redirect would not do: after a cross-site start (a link, the browser opening a file) the
      // redirected request would go without the SameSite=Strict cookie.
      return send(res, 200, 'text/html; charset=utf-8', PAGE, { 'Set-Cookie': sessionCookie(port, token) });
    }
    if (!sameSecret(cookie, token)) {
      return text(res, 401, 'unauthorized: open the URL that fleet dashboard printed (with its ?token=…)');
    }
    // Anything that changes state must come from this page, not from another site.
    if (method !== 'GET' && method !== 'HEAD' && !originAllowed(req.headers, host, port)) {
      return text(res, 403, 'forbidden: cross-origin request');
    }
    route(req, res, url).catch((e) => {
      if (res.headersSent) return void res.end();
      const { status, body } = errorAnswer(e);
      json(res, status, body);
    });
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') reject(new FleetError(`port ${opts.port} on ${host} is in use`, { hint: 'pick another with --port N, or --port 0 for any free one' }));
      else if (e.code === 'EADDRNOTAVAIL') reject(new FleetError(`${host} is not an address of this machine`, { hint: 'use --host with one of its own addresses (ip addr lists them)' }));
      else if (e.code === 'EACCES') reject(new FleetError(`not allowed to listen on port ${opts.port}`, { hint: 'ports below 1024 need root; pick another with --port N' }));
      else reject(e);
    });
    server.listen(opts.port, host, () => resolve());
  });
  port = (server.address() as { port: number }).port;
  const origin = originOf(host, port);

  return {
    url: `${origin}/?token=${token}`,
    origin,
    port,
    live,
    mirrors,
    async close() {
      shutdown.abort();
      live.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of streams) s.end();
        server.closeAllConnections();
      });
      await Promise.allSettled([...inflight]);
    },
  };
}

class TooLarge extends Error {}
