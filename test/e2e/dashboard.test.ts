/**
 * fleet dashboard in a real browser: Debian's headless chromium driven by playwright-core,
 * against the built CLI, real git and a private tmux server. The agents are stand-in scripts
 * that record what they receive.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fleet, makeSandbox, readState, recordingAgent, startScriptAgents, waitFor, writeConfig, type RecordingAgent, type Sandbox } from '../helpers/sandbox.js';
import { launchChromium, startDashboard, stopAllDashboards, type RunningDashboard } from '../helpers/dashboard.js';

let browser: BrowserContext;
let profile: string;
let sb: Sandbox;
let repo: string;
let rec: RecordingAgent;
let dash: RunningDashboard | null;
let problems: string[];

beforeAll(async () => {
  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'flt-chromium-'));
  browser = await launchChromium(profile);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  fs.rmSync(profile, { recursive: true, force: true });
});

beforeEach(async () => {
  sb = await makeSandbox();
  repo = await sb.repo();
  rec = recordingAgent(sb);
  writeConfig(sb, `default_agent = "shell"\nidle_seconds = 3\n${rec.profile}`);
  dash = null;
  problems = [];
});

afterEach(async () => {
  for (const p of browser.pages()) await p.close();
  if (dash) expect((await dash.stop()).exitCode).toBe(130);
  await stopAllDashboards();
  await sb.cleanup();
  // No script errors and no blocked loads (CSP) on any page of the test.
  expect(problems).toEqual([]);
});

async function create(branch: string, prompt: string, agent = 'shell'): Promise<void> {
  const r = await fleet(sb, ['create', branch, '--quick', '--agent', agent, '-p', prompt], { cwd: repo });
  expect(r.exitCode, r.stderr).toBe(0);
}

async function openPage(hash = '', viewport?: { width: number; height: number }): Promise<Page> {
  dash ??= await startDashboard(sb, repo);
  const page = await browser.newPage();
  if (viewport) await page.setViewportSize(viewport);
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // A refusal (409) is an answer the page shows, not a problem; the browser logs it anyway.
    if (m.type() === 'error' && !/status of 409/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  await page.goto(dash.url + hash);
  await page.locator('.conn.on').waitFor();
  return page;
}

const card = (page: Page, branch: string) => page.locator(`.card[data-branch="${branch}"]`);

/** Text of the terminal's rendered rows (xterm's DOM renderer). */
async function screenText(page: Page): Promise<string> {
  return (await page.locator('.term-view .xterm-rows').textContent()) ?? '';
}

async function statusOf(branch: string): Promise<string | undefined> {
  const r = await fleet(sb, ['list', '--json'], { cwd: repo });
  return (JSON.parse(r.stdout) as { branch: string; status: string }[]).find((a) => a.branch === branch)?.status;
}

describe('fleet dashboard in a browser', { timeout: 90_000 }, () => {
  it('lists the agents made with the CLI, grouped by batch, the ones that need the user first; fits a phone too', async () => {
    writeConfig(sb, 'default_agent = "shell"\nidle_seconds = 600\n'); // quiet agents stay "running"
    const screen = [
      '\\033[1;36m● Reading\\033[0m src/auth/session.ts',
      '\\033[1;36m● Running\\033[0m npm test -- auth',
      '  \\033[32m✓\\033[0m refreshes an expired token',
      '  \\033[32m✓\\033[0m rejects a forged cookie',
      '  \\033[31m✗ logs out on every tab\\033[0m',
      '\\033[1;36m● Editing\\033[0m src/auth/session.ts \\033[32m+14\\033[0m \\033[31m-3\\033[0m',
      '\\033[33m? Edit src/auth/session.ts\\033[0m',
    ].join('\\n');
    await create('fix-auth', `printf '${screen}\\n'; sleep 300`);
    expect((await fleet(sb, ['fanout', '3', 'parser', '--quick', '-p', 'echo "agent $FLEET_BRANCH parsing"; sleep 300'], { cwd: repo })).exitCode).toBe(0);
    await create('docs', 'echo "wrote the docs"; exit 0');
    await waitFor(async () => (await statusOf('docs')) === 'exited', { what: 'docs to exit' });

    const page = await openPage();
    expect(page.url()).not.toContain('token'); // taken out of the address bar once the cookie is set
    await waitFor(async () => (await page.locator('.card').count()) === 5, { what: 'five cards' });
    expect(await page.locator('.group[data-batch="parser"] .card').count()).toBe(3);
    expect(await page.locator('.group[data-batch="parser"] .group-head').textContent()).toContain('batch parser');
    // The agent that ended needs the user: first, and marked.
    const first = page.locator('.card').first();
    expect(await first.getAttribute('data-branch')).toBe('docs');
    expect(await first.getAttribute('class')).toContain('att-needs-you');
    expect(await card(page, 'docs').locator('.pill').textContent()).toBe('exited (0)');
    expect(await card(page, 'fix-auth').locator('.meta').textContent()).toMatch(/^shell · \d+s$/);
    expect(await page.locator('header .counts').textContent()).toBe('5 agents · 1 needs you');

    await card(page, 'fix-auth').click();
    await waitFor(async () => (await screenText(page)).includes('? Edit src/auth/session.ts'), { what: 'the terminal' });
    await waitFor(async () => (await card(page, 'fix-auth').locator('.figures').textContent())?.includes('no changes'), { what: 'changes' });
    const shot = path.join(sb.dir, 'dashboard.png');
    await page.screenshot({ path: shot });
    expect(fs.readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
    if (process.env.FLEET_UPDATE_SCREENSHOT) fs.copyFileSync(shot, new URL('../../docs/dashboard.png', import.meta.url));

    // Phone width: one column, nothing wider than the screen; the agent, then back to the list.
    await page.setViewportSize({ width: 390, height: 844 });
    await waitFor(async () => page.evaluate(() => document.documentElement.scrollWidth <= 390), { what: 'no horizontal overflow' });
    expect(await page.locator('section.agents').isVisible()).toBe(false);
    await page.locator('.detail-head .back').click();
    expect(await page.locator('section.agents').isVisible()).toBe(true);
    expect(await card(page, 'parser-2').isVisible()).toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  });

  it('shows a status change without a reload, and notifies naming the agent and why', async () => {
    const flag = path.join(sb.dir, 'quit');
    await create('quitter', `while [ ! -e ${flag} ]; do sleep 0.1; done; echo bye; exit 3`);
    dash = await startDashboard(sb, repo);
    const page = await browser.newPage();
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    // The browser's notifications, recorded (the page asks the real API; this stands in for the desktop).
    await page.addInitScript(() => {
      const shown: { title: string; body?: string }[] = [];
      (window as unknown as { shown: typeof shown }).shown = shown;
      class RecordedNotification {
        static permission = 'granted';
        static requestPermission = async () => 'granted';
        onclick: (() => void) | null = null;
        constructor(title: string, opts?: { body?: string }) {
          shown.push({ title, body: opts?.body });
        }
      }
      (window as unknown as { Notification: unknown }).Notification = RecordedNotification;
    });
    await page.goto(dash.url);
    await card(page, 'quitter').waitFor();
    expect(await card(page, 'quitter').getAttribute('data-status')).not.toBe('exited');
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));

    fs.writeFileSync(flag, '');
    await waitFor(async () => (await card(page, 'quitter').getAttribute('data-status')) === 'exited', { what: 'the exit on the page', timeout: 15_000 });
    expect(await card(page, 'quitter').locator('.pill').textContent()).toBe('exited (3)');
    expect(await card(page, 'quitter').locator('.reason').textContent()).toBe('the agent ended with status 3');
    expect(await page.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(42); // same page: no reload
    expect(await page.evaluate(() => (window as unknown as { shown: unknown[] }).shown)).toEqual([{ title: 'quitter exited', body: 'the agent ended with status 3' }]);
  });

  it('shows a hooked agent at a permission dialog first, as waiting with its reason; refuses a prompt as fleet prompt does; sends it anyway only when confirmed; notifies when it is done', async () => {
    // A stand-in for claude that finds fleet's hooks where claude does and sends claude's own hook payloads.
    const bin = path.join(sb.dir, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    const standin = path.join(import.meta.dirname, '..', 'helpers', 'agent-standin.mjs');
    fs.writeFileSync(path.join(bin, 'claude'), `#!/usr/bin/env bash\nSTANDIN_DIR='${sb.dir}' exec '${process.execPath}' '${standin}' claude "$@"\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(sb.home, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true, projects: { [repo]: { hasTrustDialogAccepted: true } } }));
    const env = { PATH: `${bin}:${process.env.PATH}` };
    const logOf = () => fs.readFileSync(path.join(sb.dir, 'log', 'asker.log'), 'utf8');
    writeConfig(sb, 'default_agent = "shell"\nidle_seconds = 600\n');
    await create('early', 'sleep 300'); // older, and busy: listed after the one that needs the user
    const made = await fleet(sb, ['create', 'asker', '--agent', 'claude', '-p', 'please needs-perm'], { cwd: repo, env });
    expect(made.exitCode, made.stderr).toBe(0);
    await waitFor(async () => (await statusOf('asker')) === 'waiting', { what: 'asker at its permission dialog', timeout: 20_000 });

    dash = await startDashboard(sb, repo, [], env);
    await browser.grantPermissions(['notifications'], { origin: dash.origin });
    const page = await browser.newPage();
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    // The browser's own notifications (permission granted above), each one recorded as it is made.
    await page.addInitScript(() => {
      const shown: { title: string; body?: string }[] = [];
      (window as unknown as { shown: typeof shown }).shown = shown;
      const Real = window.Notification;
      window.Notification = class extends Real {
        constructor(title: string, opts?: NotificationOptions) {
          super(title, opts);
          shown.push({ title, body: opts?.body });
        }
      };
    });
    await page.goto(dash.url);
    await card(page, 'asker').waitFor();
    expect(await page.evaluate(() => Notification.permission)).toBe('granted');
    const reason = 'permission: Bash(touch perm-test.txt)';
    expect(await page.locator('.card').first().getAttribute('data-branch')).toBe('asker');
    expect(await card(page, 'asker').getAttribute('class')).toContain('att-urgent');
    expect(await card(page, 'asker').locator('.pill').textContent()).toBe('waiting');
    expect(await card(page, 'asker').locator('.reason').textContent()).toBe(reason);
    expect(await card(page, 'early').getAttribute('class')).toContain('att-busy');
    expect(await page.locator('header .counts').textContent()).toBe('2 agents · 1 needs you');
    await card(page, 'asker').click();
    expect(await page.locator('.detail-head .reason').textContent()).toBe(reason);

    // Refused in fleet prompt's own words; nothing reaches the dialog.
    const text = `y — go ahead: "quoted" $(touch PWNED) \`id\`; %s\nsecond line é ✓ \\ back\\slash`;
    await page.locator('form.prompt textarea').fill(text);
    await page.locator('form.prompt button[type=submit]').click();
    await page.locator('.prompt-error .error').waitFor();
    const cli = await fleet(sb, ['prompt', 'asker', 'from the cli'], { cwd: repo, env });
    expect(cli.exitCode).toBe(1);
    const errorLine = await page.locator('.prompt-error .error-line').textContent();
    const hintLine = await page.locator('.prompt-error .hint-line').textContent();
    expect(errorLine).toBe(`error: "asker" is waiting (${reason}): what you type would answer that dialog, so nothing was sent`);
    expect(hintLine).toBe('hint: fleet attach asker to answer it; --wait to send once it can take input, --force to type anyway');
    expect(cli.stderr.split('\n')).toEqual(expect.arrayContaining([errorLine, hintLine]));
    expect(logOf()).not.toContain('dialog-input');
    expect(await statusOf('asker')).toBe('waiting');

    // "Send anyway" asks first, saying what it may do; cancelled, still nothing typed.
    await page.locator('[data-action=send-anyway]').click();
    const dialog = page.locator('dialog.modal[open]');
    expect(await dialog.locator('h3').textContent()).toBe('Send to asker anyway?');
    expect(await dialog.locator('.confirm-text').textContent()).toContain(`has a dialog open (${reason}). What you send is typed into that dialog and may answer it`);
    await dialog.locator('button', { hasText: 'Cancel' }).click();
    expect(logOf()).not.toContain('dialog-input');
    await page.locator('[data-action=send-anyway]').click();
    await dialog.locator('[data-confirm=send-anyway]').click();
    // Typed into the dialog byte for byte (it starts with "y": the dialog takes it as a yes).
    await waitFor(() => logOf().includes('dialog-input: '), { what: 'the text typed into the dialog' });
    expect(logOf()).toContain(`dialog-input: ${JSON.stringify(text)}\n`);
    await waitFor(async () => (await page.locator('.toast').allTextContents()).includes(`sent ${text.length} characters`), { what: 'the page to say sent' });

    // Done: the card says so and one notification names the agent and why.
    await waitFor(async () => (await card(page, 'asker').getAttribute('data-status')) === 'done', { what: 'done on the page', timeout: 20_000 });
    await waitFor(async () => (await page.evaluate(() => (window as unknown as { shown: unknown[] }).shown)).length > 0, { what: 'a notification' });
    expect(await page.evaluate(() => (window as unknown as { shown: unknown[] }).shown)).toEqual([{ title: 'asker is done', body: 'finished its turn' }]);
    await browser.clearPermissions();
  });

  it("shows an agent's screen with its colours, updating as it works, with scrollback", async () => {
    const flag = path.join(sb.dir, 'more');
    await create(
      'term',
      `printf '\\033[31mRED-MARK\\033[0m plain\\n'; for i in $(seq 1 120); do echo "scroll line $i"; done; while [ ! -e ${flag} ]; do sleep 0.1; done; echo LATER-MARK; sleep 300`,
    );
    const page = await openPage('#agent=fleet_repo_term'); // straight to the agent
    await waitFor(async () => (await screenText(page)).includes('scroll line 120'), { what: 'the screen' });
    expect(await screenText(page)).not.toContain('RED-MARK'); // 120 lines later it is in the scrollback

    fs.writeFileSync(flag, '');
    await waitFor(async () => (await screenText(page)).includes('LATER-MARK'), { what: 'new output' });

    // Scroll back to the top: the first line is there, in red.
    await page.locator('.term-view').hover();
    await waitFor(async () => {
      await page.mouse.wheel(0, -20_000);
      return (await screenText(page)).includes('RED-MARK');
    }, { what: 'the scrollback' });
    const red = page.locator('.term-view .xterm-rows span', { hasText: 'RED-MARK' });
    expect(await red.getAttribute('class')).toMatch(/\bxterm-fg-1\b/);
    expect((await page.locator('.term-view .xterm-rows span', { hasText: 'plain' }).getAttribute('class')) ?? '').not.toMatch(/xterm-fg-1/);
  });

  it('sends a prompt typed in the page to the agent byte for byte, and shows why one is refused', async () => {
    await create('talk', 'hi', 'rec');
    await create('ended', 'exit 0');
    await waitFor(async () => (await fleet(sb, ['logs', 'talk'], { cwd: repo })).stdout.includes('agent talk ready'), { what: 'the agent' });
    await waitFor(async () => (await statusOf('ended')) === 'exited', { what: 'ended to exit' });
    const page = await openPage();
    await card(page, 'talk').click();
    const text = `it's "quoted" $(touch PWNED) \`touch PWNED2\`; touch PWNED3\nsecond line é ünï ✓ \\ back\\slash $HOME %s\n\n  indented`;
    await page.locator('form.prompt textarea').fill(text);
    await page.locator('form.prompt button[type=submit]').click();
    const got = await rec.typed('talk');
    expect(got).toBe(text + '\r'); // the paste, then the separate Enter
    expect(fs.existsSync(path.join(sb.fleetHome, 'worktrees', 'repo', 'talk', 'PWNED'))).toBe(false);
    await waitFor(async () => (await page.locator('.toast').allTextContents()).includes(`sent ${text.length} characters`));
    expect(await page.locator('form.prompt textarea').inputValue()).toBe('');
    await card(page, 'ended').click();
    await page.locator('form.prompt textarea').fill('are you there?');
    await page.locator('form.prompt button[type=submit]').click();
    await page.locator('.prompt-error .error').waitFor();
    expect(await page.locator('.prompt-error .error-line').textContent()).toBe('error: the agent on "ended" has exited (status 0), so it cannot take input');
    expect(await page.locator('.prompt-error .hint-line').textContent()).toBe('hint: fleet logs ended shows its last screen');
    expect(await page.locator('form.prompt textarea').inputValue()).toBe('are you there?'); // kept, to send elsewhere
  });

  it('kills an agent from the page after a confirmation, refusing uncommitted work until told to discard it', async () => {
    await startScriptAgents(sb, repo, { victim: 'echo scratch > notes.txt' }, null);
    const page = await openPage();
    await card(page, 'victim').click();
    await page.locator('[data-action=kill]').click();
    const dialog = page.locator('dialog.modal[open]');
    await dialog.waitFor();
    expect(await dialog.locator('h3').textContent()).toBe('Kill victim?');
    await dialog.locator('[data-confirm=kill]').click();
    await dialog.locator('.error').waitFor();
    expect(await dialog.locator('.error-line').textContent()).toMatch(/^error: "victim" has uncommitted changes \(notes\.txt\) in .*; kept it$/);
    expect(await dialog.locator('.hint-line').textContent()).toContain('fleet kill victim --force');
    expect((await sb.tmux('has-session', '-t', '=fleet_repo_victim')).exitCode).toBe(0);

    await dialog.locator('input[name=force]').check();
    await dialog.locator('[data-confirm=kill]').click();
    await waitFor(async () => (await card(page, 'victim').count()) === 0, { what: 'the card to go' });
    expect(await page.locator('dialog.modal[open]').count()).toBe(0);
    expect((await sb.tmux('has-session', '-t', '=fleet_repo_victim')).exitCode).not.toBe(0);
    expect(readState(sb).agents).toEqual([]);
    expect(fs.existsSync(path.join(sb.fleetHome, 'worktrees', 'repo', 'victim'))).toBe(false);
    expect(await sb.git(repo, 'branch', '--list', 'victim')).toContain('victim'); // the branch is kept
    expect(await page.locator('.detail .gone').textContent()).toContain('This agent is gone');
  });

  it("shows the agent's diff as fleet diff does: commits, uncommitted edits and new files, coloured", async () => {
    await startScriptAgents(sb, repo, {
      work: 'echo committed > done.txt && git add done.txt && git commit -qm "add done" && printf "# test repo\\nedited\\n" > README.md && echo fresh > new.txt',
    }, null);
    const page = await openPage('#agent=fleet_repo_work');
    await page.locator('.tab[data-tab=diff]').click();
    await page.locator('.diff-file').first().waitFor();
    expect(await page.locator('.diff-file summary .path').allTextContents()).toEqual(['README.md', 'done.txt', 'new.txt']);
    expect(await page.locator('.diff-summary').textContent()).toMatch(/^3 files changed, \+3 −0 since [0-9a-f]{7}/);
    expect(await page.locator('.dl.add').allTextContents()).toEqual(['+edited\n', '+committed\n', '+fresh\n']);
    expect(await page.locator('.dl.hunk').count()).toBe(3);
    const shown = (await page.locator('pre.diff .dl').allTextContents()).join('');
    const cli = await fleet(sb, ['diff', 'work'], { cwd: repo });
    expect(cli.exitCode).toBe(0);
    expect(shown).toBe(cli.stdout + '\n');
  });

  it('starts an agent and a batch from the page, with the prompt byte for byte', async () => {
    const page = await openPage();
    await page.locator('header button.primary', { hasText: 'New agent' }).click();
    const dialog = page.locator('dialog.modal[open]');
    const prompt = `Fix "it" — don't run $(rm -rf ~) or \`id\`;\nline two ✓`;
    await dialog.locator('input[name=branch]').fill('from-page');
    await dialog.locator('textarea[name=prompt]').fill(prompt);
    await dialog.locator('select[name=agent]').selectOption('rec');
    await dialog.locator('input[name=quick]').check();
    await dialog.locator('button', { hasText: 'Next' }).click();
    expect(await dialog.locator('.confirm-text').textContent()).toBe('Start a rec agent on branch “from-page”, from the main checkout\'s HEAD, skipping setup commands?');
    await dialog.locator('[data-confirm=create]').click();
    await card(page, 'from-page').waitFor({ timeout: 20_000 });
    const arg = await rec.prompt('from-page');
    expect(arg).toBe(prompt);
    await waitFor(async () => (await page.locator('.detail h2').textContent()) === 'from-page', { what: 'the new agent selected' });

    await page.locator('header button.primary', { hasText: 'New agent' }).click();
    await dialog.locator('select[name=mode]').selectOption('fanout');
    await dialog.locator('input[name=count]').fill('2');
    await dialog.locator('input[name=prefix]').fill('wave');
    await dialog.locator('textarea[name=prompt]').fill('echo "surfing $FLEET_BRANCH"; sleep 300');
    await dialog.locator('select[name=agent]').selectOption('shell');
    await dialog.locator('button', { hasText: 'Next' }).click();
    expect(await dialog.locator('.confirm-text').textContent()).toContain('Start 2 shell agents on wave-1 … wave-2');
    await dialog.locator('[data-confirm=create]').click();
    await waitFor(async () => (await page.locator('.group[data-batch="wave"] .card').count()) === 2, { what: 'the batch', timeout: 20_000 });
    const listed = JSON.parse((await fleet(sb, ['list', '--json'], { cwd: repo })).stdout) as { branch: string; batch_id: string | null }[];
    expect(listed.map((a) => [a.branch, a.batch_id]).sort()).toEqual([['from-page', null], ['wave-1', 'wave'], ['wave-2', 'wave']]);
  });

  it('picks an agent with a strategy after showing the plan, landing its work and ending its batch', async () => {
    await startScriptAgents(sb, repo, {
      'try-1': 'echo one > feature.txt && git add feature.txt && git commit -qm "feature, part 1" && echo two >> feature.txt && git commit -qam "feature, part 2"',
      'try-2': 'echo other > other.txt',
    }, 'try');
    const before = (await sb.git(repo, 'rev-list', '--count', 'HEAD')).trim();
    const page = await openPage();
    await card(page, 'try-1').click();
    await page.locator('[data-action=pick]').click();
    const dialog = page.locator('dialog.modal[open]');
    await dialog.locator('select[name=strategy]').selectOption('squash');
    await dialog.locator('button', { hasText: 'Review' }).click();
    await dialog.locator('ul.plan').waitFor();
    expect(await dialog.locator('ul.plan li').allTextContents()).toEqual([
      'land “try-1” into “main” (squash)',
      'then end try-1 (sessions and worktrees; branches are kept)',
      'keeping try-2: it has uncommitted changes (other.txt)',
    ]);
    expect((await sb.git(repo, 'rev-list', '--count', 'HEAD')).trim()).toBe(before); // reviewing changed nothing
    await dialog.locator('[data-confirm=pick]').click();
    await waitFor(async () => (await card(page, 'try-1').count()) === 0, { what: 'the winner to go', timeout: 20_000 });
    expect(await card(page, 'try-2').count()).toBe(1);
    expect(Number((await sb.git(repo, 'rev-list', '--count', 'HEAD')).trim())).toBe(Number(before) + 1); // one squashed commit
    expect(fs.readFileSync(path.join(repo, 'feature.txt'), 'utf8')).toBe('one\ntwo\n');
    expect(await sb.git(repo, 'log', '-1', '--format=%B')).toContain("Squash branch 'try-1' (2 commits)");
  });
});
