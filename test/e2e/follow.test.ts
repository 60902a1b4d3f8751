import { execa, type ResultPromise } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, fleet, makeSandbox, onTerminal, waitFor, writeConfig, type Sandbox } from '../helpers/sandbox.js';

/**
 * `logs --follow` on agents that redraw their screen instead of printing lines: a full-screen
 * agent (Claude Code, Codex, gemini) and a `\r` spinner. Piped, and on a real terminal: a tmux
 * pane of the test's own server plays the user's terminal, so what it shows is what a user sees.
 */

let sb: Sandbox;
let repo: string;

beforeEach(async () => {
  sb = await makeSandbox();
  repo = await sb.repo();
  writeConfig(sb, 'default_agent = "shell"\n');
});
afterEach(async () => {
  await sb.cleanup();
});

/** Clears the screen and draws a frame with a counter above a footer that never changes (as Claude Code's input box and hints). */
const REDRAW = `i=0; while true; do i=$((i+1)); printf '\\033[H\\033[2J'; printf 'frame %d\\nstatus: working (%ds)\\n\\n> \\n? for shortcuts\\n' $i $i; printf '\\033[4;3H'; sleep 0.1; done`;
/** A \\r spinner on one line below a first line. */
const SPINNER = `echo start; i=0; while true; do i=$((i+1)); printf '\\rspinning %d ' $i; sleep 0.02; done`;

async function create(branch: string, prompt: string): Promise<void> {
  const r = await fleet(sb, ['create', branch, '--quick', '-p', prompt], { cwd: repo });
  expect(r.exitCode, r.stderr).toBe(0);
}

/** The newest counter value the agent's own pane shows. */
async function paneCounter(session: string, word: string): Promise<number> {
  const screen = (await sb.tmux('capture-pane', '-p', '-t', `=${session}:`)).stdout;
  return Math.max(0, ...[...screen.matchAll(new RegExp(`${word} (\\d+)`, 'g'))].map((m) => Number(m[1])));
}

/** `fleet logs <branch> --follow` into a pipe, its stdout collected as it comes. */
function followPiped(branch: string, ...args: string[]): { child: ResultPromise; seen: () => string } {
  const child = execa(process.execPath, [CLI, 'logs', branch, '--follow', ...args], { cwd: repo, env: sb.env, extendEnv: false, reject: false });
  let out = '';
  child.stdout.on('data', (d) => (out += String(d)));
  return { child, seen: () => out };
}

function values(text: string, word: string): number[] {
  return [...text.matchAll(new RegExp(`${word} (\\d+)`, 'g'))].map((m) => Number(m[1]));
}

describe('logs --follow, piped', () => {
  it('a full-screen agent that clears and redraws: its newer frames are printed, marked as redraws, not every frame', async () => {
    await create('tui', REDRAW);
    await waitFor(async () => (await paneCounter('fleet_repo_tui', 'frame')) > 0, { what: 'the first frame' });
    const started = Date.now();
    // -n 5: the screen only (its scrollback holds the old frames each clear pushed there).
    const { child, seen } = followPiped('tui', '-n', '5');
    await waitFor(() => /frame \d+/.test(seen()), { what: 'the first frame printed' });
    const first = values(seen(), 'frame')[0]!;
    // A later frame arrives, as a redraw.
    await waitFor(() => values(seen(), 'frame').some((v) => v >= first + 20) && seen().includes('--- screen redrawn'), {
      timeout: 20_000, what: 'a later frame',
    });
    process.kill(child.pid!, 'SIGINT');
    const r = await child;
    const elapsed = Date.now() - started;
    expect(r.exitCode).toBe(130);
    expect(r.stderr).toBe('');
    const frames = values(String(r.stdout), 'frame');
    // Throttled: one redraw every 2 s at most (plus the first frame and the last one on exit),
    // although the agent drew ~10 frames a second.
    expect(frames.length).toBeLessThanOrEqual(Math.ceil(elapsed / 2_000) + 2);
    // The footer is part of what is shown, once a frame (it never changes, so it is not repeated otherwise).
    expect(String(r.stdout).split('\n').filter((l) => l === '? for shortcuts')).toHaveLength(frames.length);
  });

  it('a \\r spinner: the newest value now and then, not a line per update', async () => {
    await create('spin', SPINNER);
    await waitFor(async () => (await paneCounter('fleet_repo_spin', 'spinning')) > 0, { what: 'the spinner' });
    const started = Date.now();
    const { child, seen } = followPiped('spin');
    await waitFor(() => seen().startsWith('start\n'), { what: 'the first line' });
    const first = values(seen(), 'spinning')[0]!;
    await waitFor(() => values(seen(), 'spinning').some((v) => v >= first + 100), { timeout: 20_000, what: 'a newer spinner value' });
    // Ended by SIGTERM this time: the same as Ctrl+C.
    process.kill(child.pid!, 'SIGTERM');
    const r = await child;
    const elapsed = Date.now() - started;
    expect(r.exitCode).toBe(130);
    const spins = values(String(r.stdout), 'spinning');
    expect(spins.length).toBeLessThanOrEqual(Math.ceil(elapsed / 2_000) + 2);
    expect(spins).toEqual([...spins].sort((a, b) => a - b)); // newest last
    // The last value printed is the spinner's value when the follow ended, not an old one.
    expect(spins.at(-1)!).toBeGreaterThanOrEqual(first + 100);
  });
});

describe('logs --follow into a reader that goes away', () => {
  it('`| head -1` ends the follow quietly, with exit status 0', async () => {
    await create('spin', SPINNER);
    await waitFor(async () => (await paneCounter('fleet_repo_spin', 'spinning')) > 0, { what: 'the spinner' });
    const r = await execa('bash', ['-c', `'${process.execPath}' '${CLI}' logs spin --follow | head -1; exit "\${PIPESTATUS[0]}"`], {
      cwd: repo, env: sb.env, extendEnv: false, reject: false, timeout: 30_000,
    });
    expect(r.stdout).toBe('start');
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
  });
});

describe('logs --follow, on a terminal', () => {
  const followInTerminal = (branch: string, rows: number, cols: number, ...args: string[]) =>
    onTerminal(sb, ['logs', branch, '--follow', ...args].join(' '), { rows, cols, cwd: repo });

  it('redraws a full-screen agent in place: one frame on screen, the newest; Ctrl+C exits 130', async () => {
    await create('tui', REDRAW);
    await waitFor(async () => (await paneCounter('fleet_repo_tui', 'frame')) > 0, { what: 'the first frame' });
    const term = await followInTerminal('tui', 12, 60, '-n', '5');
    await waitFor(async () => /frame \d+/.test(await term.screen()), { what: 'the frame on the terminal' });
    const first = values(await term.screen(), 'frame').at(-1)!;
    const later = await waitFor(async () => {
      const screen = await term.screen();
      return values(screen, 'frame').at(-1)! >= first + 10 ? screen : null;
    }, { timeout: 20_000, what: 'a newer frame drawn' });
    // The frame replaced the previous one where it was: the one from the start is gone, no
    // copy was pushed up into the terminal's scrollback, the footer is there once.
    expect(values(later, 'frame').filter((v) => v > first)).toHaveLength(1);
    expect(later.split('\n').filter((l) => l === '? for shortcuts')).toHaveLength(1);
    expect(values(await term.scrollback(), 'frame').filter((v) => v >= first)).toEqual([]);
    await term.keys('C-c');
    expect((await term.ended()).exitCode).toBe(130);
  });

  it('a \\r spinner stays one line that counts up', async () => {
    await create('spin', SPINNER);
    await waitFor(async () => (await paneCounter('fleet_repo_spin', 'spinning')) > 0, { what: 'the spinner' });
    const term = await followInTerminal('spin', 8, 60);
    await waitFor(async () => /spinning \d+/.test(await term.screen()), { what: 'the spinner on the terminal' });
    const first = values(await term.screen(), 'spinning')[0]!;
    const later = await waitFor(async () => {
      const screen = await term.screen();
      return (values(screen, 'spinning')[0] ?? 0) >= first + 50 ? screen : null;
    }, { timeout: 20_000, what: 'the spinner counting up' });
    expect(later.split('\n').filter((l) => l.trim() !== '')).toEqual(['start', expect.stringMatching(/^spinning \d+$/)]);
    expect(await term.scrollback()).toBe('');
  });

  it('lines that scroll off the agent\'s screen stay above, in order, once', async () => {
    // 60 numbered lines, slowly: they scroll through the agent's 50-row screen and the 10-row terminal.
    await create('log', 'for i in $(seq 1 60); do echo "line $i"; sleep 0.05; done; sleep 600');
    const term = await followInTerminal('log', 10, 60);
    await waitFor(async () => /line 60\b/.test(await term.screen()), { timeout: 20_000, what: 'the last line' });
    const all = (await term.scrollback()) + '\n' + (await term.screen());
    const seen = values(all, 'line');
    // Everything follow printed, with the start's last 50 lines of the agent's output first.
    expect(seen.at(-1)).toBe(60);
    expect(seen).toEqual([...new Set(seen)].sort((a, b) => a - b)); // in order, none twice
    expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => seen[0]! + i)); // no gaps
  });
});

describe('logs on an agent that has exited', () => {
  it('says so on stderr, with its exit code; stdout is the screen alone', async () => {
    await create('done', 'echo "all finished"; exit 7');
    await waitFor(async () => (await fleet(sb, ['logs', 'done'], { cwd: repo })).stderr !== '', { what: 'the agent to exit' });
    const r = await fleet(sb, ['logs', 'done'], { cwd: repo });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('all finished');
    expect(r.stderr).toBe('[the agent on "done" exited with code 7]\n'.trimEnd());
    const followed = await fleet(sb, ['logs', 'done', '--follow'], { cwd: repo });
    expect(followed.exitCode).toBe(0);
    expect(followed.stdout).toBe('all finished');
    expect(followed.stderr).toBe('[the agent on "done" exited with code 7]');
  });
});
