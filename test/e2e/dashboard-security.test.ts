import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fleet, makeSandbox, readState, standIn, waitFor, writeConfig, type Sandbox } from '../helpers/sandbox.js';
import { request, startDashboard, stopAllDashboards, type RunningDashboard } from '../helpers/dashboard.js';

let sb: Sandbox;
let repo: string;

beforeEach(async () => {
  sb = await makeSandbox();
  repo = await sb.repo();
  writeConfig(sb, 'default_agent = "shell"\n');
});
afterEach(async () => {
  await stopAllDashboards();
  await sb.cleanup();
});

const json = (dash: RunningDashboard, extra: Record<string, string> = {}) => ({
  Cookie: dash.cookie,
  Origin: dash.origin,
  'Content-Type': 'application/json',
  ...extra,
});

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

describe('fleet dashboard: who may talk to it', () => {
  it('answers 401 to every request without the token or its cookie, and to a wrong token', async () => {
    const dash = await startDashboard(sb, repo);
    expect(dash.host).toBe('127.0.0.1');
    for (const p of ['/', '/assets/app.js', '/assets/app.css', '/api/events', '/api/repos', '/api/agents/fleet_repo_x/screen', '/api/agents/fleet_repo_x/diff']) {
      const r = await request(dash, { path: p });
      expect(r.status, p).toBe(401);
      expect(r.body).not.toContain('<script');
    }
    const post = await request(dash, { method: 'POST', path: '/api/create', headers: { Origin: dash.origin, 'Content-Type': 'application/json' }, body: '{}' });
    expect(post.status).toBe(401);
    const wrong = await request(dash, { path: `/?token=${dash.token.slice(0, -2)}xx` });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    const otherCookie = await request(dash, { path: '/api/repos', headers: { Cookie: `fleet_dashboard_${dash.port}=${'a'.repeat(dash.token.length)}` } });
    expect(otherCookie.status).toBe(401);
  });

  it('exchanges the token for an HttpOnly, SameSite=Strict cookie that then opens everything, and sends no CORS headers', async () => {
    const dash = await startDashboard(sb, repo);
    const r = await request(dash, { path: `/?token=${dash.token}` });
    expect(r.status).toBe(200);
    const cookie = String(r.headers['set-cookie']);
    expect(cookie).toContain(`fleet_dashboard_${dash.port}=${dash.token}`);
    expect(cookie).toMatch(/;\s*HttpOnly/i);
    expect(cookie).toMatch(/;\s*SameSite=Strict/i);
    expect(cookie).toMatch(/;\s*Path=\//);
    expect(r.body).toContain('/assets/app.js');
    expect(r.headers['content-security-policy']).toContain("script-src 'self'");

    for (const p of ['/', '/assets/app.js', '/assets/app.css', '/api/repos', '/api/events']) {
      const ok = await request(dash, { path: p, headers: { Cookie: dash.cookie } });
      expect(ok.status, p).toBe(200);
      expect(Object.keys(ok.headers).filter((h) => h.startsWith('access-control-')), p).toEqual([]);
    }
    const events = await request(dash, { path: '/api/events', headers: { Cookie: dash.cookie } });
    expect(events.headers['content-type']).toMatch(/^text\/event-stream/);
    // A CORS preflight from another site gets nothing that would let it through.
    const preflight = await request(dash, {
      method: 'OPTIONS',
      path: '/api/create',
      headers: { Cookie: dash.cookie, Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' },
    });
    expect(preflight.status).toBeGreaterThanOrEqual(400);
    expect(Object.keys(preflight.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
  });

  it('refuses a Host header that is not the address it listens on (DNS rebinding), even with the cookie', async () => {
    const dash = await startDashboard(sb, repo);
    for (const host of ['evil.example', `evil.example:${dash.port}`, `localhost:${dash.port}`, `127.0.0.1:${dash.port + 1}`, '127.0.0.1']) {
      const page = await request(dash, { path: '/api/repos', headers: { Host: host, Cookie: dash.cookie } });
      expect(page.status, host).toBe(421);
      const exchange = await request(dash, { path: `/?token=${dash.token}`, headers: { Host: host } });
      expect(exchange.status, host).toBe(421);
      expect(exchange.headers['set-cookie']).toBeUndefined();
    }
  });

  it('refuses a state-changing request from another origin, and takes the same request from its own', async () => {
    expect((await fleet(sb, ['create', 'target', '-p', 'sleep 300'], { cwd: repo })).exitCode).toBe(0);
    const dash = await startDashboard(sb, repo);
    const kill = (headers: Record<string, string>) => request(dash, { method: 'POST', path: '/api/agents/fleet_repo_target/kill', headers, body: '{}' });

    const cases: Record<string, string>[] = [
      json(dash, { Origin: 'http://evil.example' }),
      json(dash, { Origin: `http://localhost:${dash.port}` }),
      json(dash, { Origin: 'null' }),
      { Cookie: dash.cookie, 'Content-Type': 'application/json' }, // no Origin at all
      json(dash, { 'Sec-Fetch-Site': 'cross-site' }),
    ];
    for (const headers of cases) {
      const r = await kill(headers);
      expect(r.status, JSON.stringify(headers)).toBe(403);
    }
    // A form post (no JSON) is refused before anything is read.
    const form = await request(dash, { method: 'POST', path: '/api/agents/fleet_repo_target/kill', headers: { ...json(dash), 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'force=true' });
    expect(form.status).toBe(415);
    expect(readState(sb).agents.map((a) => a.branch)).toEqual(['target']);
    expect((await sb.tmux('has-session', '-t', '=fleet_repo_target')).exitCode).toBe(0);

    const ok = await kill(json(dash));
    expect(ok.status, ok.body).toBe(200);
    expect(readState(sb).agents).toEqual([]);
    expect((await sb.tmux('has-session', '-t', '=fleet_repo_target')).exitCode).not.toBe(0);
  });

  it('checks request bodies: size-capped, JSON only, known fields of the right kind', async () => {
    const dash = await startDashboard(sb, repo);
    const post = (p: string, body: string) => request(dash, { method: 'POST', path: p, headers: json(dash), body });
    const big = await post('/api/create', JSON.stringify({ repo, branch: 'b', prompt: 'x'.repeat(9 * 1024 * 1024) }));
    expect(big.status).toBe(413);
    expect((await post('/api/create', '{"repo": ')).status).toBe(400);
    const unknown = await post('/api/create', JSON.stringify({ repo, branch: 'b', prompt: 'p', shell: 'rm -rf /' }));
    expect(unknown.status).toBe(400);
    expect(JSON.parse(unknown.body).error).toBe('unknown field "shell"');
    const kind = await post('/api/fanout', JSON.stringify({ repo, count: '3', prompt: 'p' }));
    expect(JSON.parse(kind.body).error).toBe('"count" must be a whole number');
    const session = await post('/api/agents/..%2F..%2Fetc/kill', '{}');
    expect(session.status).toBe(400);
    // Nothing was made by any of them.
    expect(readState(sb).agents).toEqual([]);
    expect(fs.existsSync(path.join(sb.fleetHome, 'worktrees', 'repo', 'b'))).toBe(false);
  });
});

describe('fleet dashboard: the command', () => {
  it('stops on Ctrl+C with exit 130, leaving nothing listening', async () => {
    const dash = await startDashboard(sb, repo);
    expect(await portOpen(dash.port)).toBe(true);
    const r = await dash.stop();
    expect(r.exitCode).toBe(130);
    expect(await portOpen(dash.port)).toBe(false);
  });

  it('refuses a host other than loopback unless --allow-remote, and every wildcard address', async () => {
    const remote = await fleet(sb, ['dashboard', '--no-open', '--host', '192.0.2.10'], { cwd: repo });
    expect(remote.exitCode).toBe(2);
    expect(remote.stdout).toBe('');
    expect(remote.stderr).toMatch(/^error: --host "192\.0\.2\.10" is not a loopback address/m);
    expect(remote.stderr).toMatch(/^hint: add --allow-remote/m);
    const wild = await fleet(sb, ['dashboard', '--no-open', '--host', '0.0.0.0', '--allow-remote'], { cwd: repo });
    expect(wild.exitCode).toBe(2);
    expect(wild.stderr).toMatch(/^error: --host "0\.0\.0\.0" listens on every address/m);
    const port = await fleet(sb, ['dashboard', '--no-open', '--port', 'eighty'], { cwd: repo });
    expect(port.exitCode).toBe(2);
    expect(port.stderr).toMatch(/^error: --port "eighty" is not a port number/m);
    const outside = await fleet(sb, ['dashboard', '--no-open'], { cwd: sb.dir });
    expect(outside.exitCode).not.toBe(0);
    expect(outside.stderr).toMatch(/^error: .*not inside a git repository/m);
  });

  it('serves on --port, and says so clearly when that port is taken', async () => {
    const first = await startDashboard(sb, repo);
    const again = await fleet(sb, ['dashboard', '--no-open', '--port', String(first.port)], { cwd: repo });
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toMatch(new RegExp(`^error: port ${first.port} on 127\\.0\\.0\\.1 is in use`, 'm'));
    expect(again.stderr).toMatch(/^hint: .*--port 0/m);
  });

  it('opens the browser on a private redirect file, never with the token on a command line', async () => {
    const argvLog = path.join(sb.dir, 'opener-argv');
    // The argv file appears last (a rename), once the copy and the mode are written.
    const bin = path.dirname(standIn(sb, 'xdg-open', `cp "$1" ${argvLog}.html; stat -c %a "$1" > ${argvLog}.mode; printf '%s\\n' "$@" > ${argvLog}.tmp; mv ${argvLog}.tmp ${argvLog}`));
    const dash = await startDashboard(sb, repo, ['--open'], { PATH: `${bin}:${process.env.PATH}` });
    const argv = await waitFor(() => fs.existsSync(argvLog) && fs.readFileSync(argvLog, 'utf8'), { what: 'the opener to run' });
    expect(argv).not.toContain(dash.token);
    const file = argv.trim();
    expect(file.startsWith(path.join(sb.fleetHome, 'run'))).toBe(true);
    expect(fs.readFileSync(`${argvLog}.mode`, 'utf8').trim()).toBe('600');
    expect(fs.readFileSync(`${argvLog}.html`, 'utf8')).toContain(dash.url);
    await waitFor(() => dash.stderr().includes('opened in your browser'));
    expect((await dash.stop()).exitCode).toBe(130);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('says so, and keeps serving, when no browser can be opened', async () => {
    const bin = path.dirname(standIn(sb, 'xdg-open', `echo "xdg-open: no method available for opening '$1'" >&2; exit 3`));
    const dash = await startDashboard(sb, repo, ['--open'], { PATH: `${bin}:${process.env.PATH}` });
    await waitFor(() => dash.stderr().includes('could not open'), { what: 'the note' });
    expect(dash.stderr()).toContain('note: could not open a browser (xdg-open exited with status 3); open the URL above');
    expect(dash.stderr()).not.toContain('no method available'); // the opener's own chatter stays out
    expect((await request(dash, { path: `/?token=${dash.token}` })).status).toBe(200);
    expect((await dash.stop()).exitCode).toBe(130);
  });
});
