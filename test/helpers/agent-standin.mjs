// A stand-in for the agent CLIs fleet hooks (claude-code 2.1.197, codex 0.171.0, gemini-cli
// 0.61.0), reduced to what fleet touches, and faithful where fleet depends on it:
//   - it finds its hooks where the real CLI does: claude in --settings JSON, codex in -c
//     hooks.<Event>=[…] overrides that run only when -c hooks.state carries their trust hash
//     (computed as codex computes it), gemini in extensions under $GEMINI_CLI_HOME/.gemini;
//   - it runs them as the real CLI does (a shell command, the JSON payload on stdin, its own env
//     with TMUX_PANE), with payloads built from the ones the real CLIs sent (test/fixtures/hooks),
//     at the moments the real CLI fires them (codex's SessionStart comes with the first prompt;
//     a declined claude/gemini dialog fires nothing; Esc on codex's fires Interrupt);
//   - a terminal UI of three states: a startup dialog (when <dir>/dialog-<branch> exists: the
//     trust dialog, answered by any key), the prompt box (bracketed paste, Enter submits), and a
//     permission dialog for a prompt containing "needs-perm" ("1"/"y" yes, "3"/"n"/Esc no).
// It logs what it got to <dir>/log/<branch>.log: argv, every prompt, every key in a dialog.
// Usage: node agent-standin.mjs KIND ARGS…  (KIND: claude | codex | gemini)
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const kind = process.argv[2];
const args = process.argv.slice(3);
const here = path.dirname(new URL(import.meta.url).pathname);
const fixtures = path.join(here, '..', 'fixtures', 'hooks', kind);
const dir = process.env.STANDIN_DIR; // set by the wrapper on PATH (standIns() in the tests)
const branch = process.env.FLEET_BRANCH ?? 'agent';
const logFile = path.join(dir, 'log', `${branch}.log`);
fs.mkdirSync(path.dirname(logFile), { recursive: true });
const log = (line) => fs.appendFileSync(logFile, `${line}\n`);
log(`argv: ${JSON.stringify(args)}`);
log(`env: GEMINI_CLI_HOME=${process.env.GEMINI_CLI_HOME ?? ''} DISABLE_AUTOUPDATER=${process.env.DISABLE_AUTOUPDATER ?? ''}`);
const fixture = (name) => JSON.parse(fs.readFileSync(path.join(fixtures, `${name}.json`), 'utf8'));
const say = (text) => process.stdout.write(`${text}\r\n`);

// ---- where the hooks are -------------------------------------------------------------------
/** event -> [{ command, async, matcher }] */
const hooks = {};
let sessionId = null;
let prompt = null;
let resumed = false;
const flagValue = (name) => {
  const i = args.indexOf(name);
  return i === -1 ? null : args[i + 1];
};

if (kind === 'claude') {
  const settings = flagValue('--settings');
  if (settings) {
    for (const [event, groups] of Object.entries(JSON.parse(settings).hooks ?? {})) {
      hooks[event] = groups.flatMap((g) => g.hooks.map((h) => ({ command: h.command, async: h.async === true, matcher: g.matcher })));
    }
  }
  sessionId = flagValue('--session-id') ?? flagValue('--resume') ?? crypto.randomUUID();
  resumed = args.includes('--resume');
  const valued = new Set(['--settings', '--session-id', '--resume', '--model']);
  const positional = args.filter((a, i) => !a.startsWith('-') && !valued.has(args[i - 1]));
  prompt = positional.at(-1) ?? null;
} else if (kind === 'codex') {
  const overrides = args.flatMap((a, i) => (args[i - 1] === '-c' ? [a] : []));
  const tomlString = (s) => JSON.parse(s.replace(/\\u([0-9a-f]{4})/g, '\\u$1'));
  const trusted = new Map();
  for (const o of overrides) {
    const state = /^hooks\.state=\{(.*)\}$/.exec(o);
    if (state) for (const m of state[1].matchAll(/("(?:[^"\\]|\\.)*")=\{trusted_hash="([^"]+)"\}/g)) trusted.set(tomlString(m[1]), m[2]);
  }
  for (const o of overrides) {
    const m = /^hooks\.([A-Za-z]+)=\[\{hooks=\[\{type="command",command=("(?:[^"\\]|\\.)*"),timeout=(\d+)\}\]\}\]$/.exec(o);
    if (!m) continue;
    const [, event, quoted, timeout] = m;
    const command = tomlString(quoted);
    const snake = event.replace(/[A-Z]/g, (c, i) => (i === 0 ? '' : '_') + c.toLowerCase());
    const hash = 'sha256:' + crypto.createHash('sha256').update(`{"event_name":"${snake}","hooks":[{"async":false,"command":${JSON.stringify(command)},"timeout":${timeout},"type":"command"}]}`).digest('hex');
    // codex runs a hook only when it is trusted: otherwise it shows "Hooks need review".
    if (trusted.get(`/<session-flags>/config.toml:${snake}:0:0`) !== hash) {
      log(`untrusted hook: ${event}`);
      continue;
    }
    hooks[event] = [{ command, async: false }];
  }
  const r = args.indexOf('resume');
  const positional = [];
  for (let i = r === -1 ? 0 : r + 1; i < args.length; i++) {
    if (args[i] === '-c') i++;
    else if (!args[i].startsWith('-')) positional.push(args[i]);
  }
  if (r !== -1) {
    resumed = true;
    sessionId = positional.shift() ?? null;
  }
  sessionId ??= crypto.randomUUID();
  prompt = positional[0] ?? null;
} else if (kind === 'gemini') {
  const home = process.env.GEMINI_CLI_HOME;
  const extDir = path.join(home ?? path.join(process.env.HOME, 'x'), '.gemini', 'extensions');
  for (const name of fs.existsSync(extDir) ? fs.readdirSync(extDir) : []) {
    const f = path.join(extDir, name, 'hooks', 'hooks.json');
    if (!fs.existsSync(f)) continue;
    for (const [event, groups] of Object.entries(JSON.parse(fs.readFileSync(f, 'utf8')).hooks)) {
      (hooks[event] ??= []).push(...groups.flatMap((g) => g.hooks.map((h) => ({ command: h.command, async: false, matcher: g.matcher }))));
    }
  }
  sessionId = flagValue('--session-id') ?? flagValue('--resume') ?? crypto.randomUUID();
  resumed = args.includes('--resume');
  prompt = flagValue('--prompt-interactive');
} else {
  throw new Error(`unknown kind ${kind}`);
}

// ---- running them --------------------------------------------------------------------------
const shell = kind === 'codex' ? 'sh' : 'bash';
function fire(event, payload, matchOn) {
  const handlers = (hooks[event] ?? []).filter((h) => !h.matcher || new RegExp(`^(${h.matcher})$`).test(matchOn ?? ''));
  return Promise.all(
    handlers.map((h) => {
      const child = spawn(shell, ['-c', h.command], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.stdin.on('error', () => {});
      child.stdin.end(JSON.stringify(payload));
      const done = new Promise((resolve) => child.on('close', (code) => resolve(code)));
      if (h.async) return undefined;
      return done.then((code) => {
        // A hook's output goes to the model or the screen: fleet's must print nothing.
        if (code !== 0 || out !== '') log(`hook ${event} said (${code}): ${out}`);
      });
    }),
  );
}

const cwd = process.cwd();
const transcript = {
  claude: path.join(process.env.HOME, '.claude', 'projects', cwd.replace(/[^a-zA-Z0-9]/g, '-'), `${sessionId}.jsonl`),
  codex: path.join(process.env.HOME, '.codex', 'sessions', `rollout-${sessionId}.jsonl`),
  gemini: path.join(process.env.HOME, '.gemini', 'tmp', 'x', 'chats', `session-${sessionId.slice(0, 8)}.jsonl`),
}[kind];
const base = (name, extra = {}) => ({ ...fixture(name), session_id: sessionId, transcript_path: transcript, cwd, ...extra });

const EVENTS = {
  claude: {
    start: () => fire('SessionStart', base(resumed ? 'SessionStart.resume' : 'SessionStart.startup'), resumed ? 'resume' : 'startup'),
    prompt: (text) => fire('UserPromptSubmit', base('UserPromptSubmit', { prompt: text })),
    ask: (command) => fire('PermissionRequest', base('PermissionRequest.Bash', { tool_input: { command, description: 'Create a file' } })),
    yes: async (command) => {
      await fire('PostToolUse', base('PostToolUse.Bash', { tool_input: { command } }));
      await fire('Stop', base('Stop'));
    },
    no: async () => {},
    end: () => fire('Stop', base('Stop')),
  },
  codex: {
    start: async () => {},
    firstPrompt: () => fire('SessionStart', base(resumed ? 'SessionStart.resume' : 'SessionStart.startup')),
    prompt: (text) => fire('UserPromptSubmit', base('UserPromptSubmit', { prompt: text })),
    ask: (command) => fire('PermissionRequest', base('PermissionRequest', { tool_input: { command, description: 'Create a test file outside the sandbox?' } })),
    yes: async (command) => {
      await fire('PostToolUse', base('PostToolUse.perm', { tool_input: { command } }));
      await fire('Stop', base('Stop'));
    },
    no: () => fire('Interrupt', base('Interrupt')),
    end: () => fire('Stop', base('Stop')),
  },
  gemini: {
    start: () => fire('SessionStart', base('SessionStart.startup', { source: resumed ? 'resume' : 'startup' }), resumed ? 'resume' : 'startup'),
    prompt: (text) => fire('BeforeAgent', base('BeforeAgent', { prompt: text })),
    ask: (command) =>
      fire('Notification', base('Notification', { details: { type: 'exec', title: 'Confirm Shell Command', command, rootCommand: command.split(' ')[0] } }), 'ToolPermission'),
    yes: async (command) => {
      await fire('AfterTool', base('AfterTool', { tool_input: { command } }));
      await fire('AfterAgent', base('AfterAgent'));
    },
    no: async () => {},
    end: () => fire('AfterAgent', base('AfterAgent')),
  },
}[kind];

// ---- the terminal --------------------------------------------------------------------------
let mode = 'starting';
let line = '';
let pendingCommand = null;
let prompted = false;
let queue = Promise.resolve();
const run = (fn) => (queue = queue.then(fn).catch((e) => log(`error: ${e.stack ?? e}`)));

async function submit(text) {
  log(`prompt: ${text}`);
  if (kind === 'codex' && !prompted) await EVENTS.firstPrompt();
  prompted = true;
  mode = 'working';
  await EVENTS.prompt(text);
  if (text.includes('hold')) {
    // Busy until the test says go (a turn that takes a while).
    const go = path.join(dir, `go-${branch}`);
    while (!fs.existsSync(go)) await new Promise((r) => setTimeout(r, 50));
  }
  if (text.includes('needs-perm')) {
    pendingCommand = 'touch perm-test.txt';
    mode = 'dialog';
    say(`Do you want to run ${pendingCommand}? 1. Yes  3. No`);
    await EVENTS.ask(pendingCommand);
    return;
  }
  say(`Done: ${text}`);
  await EVENTS.end();
  mode = 'ready';
  say('> ');
}

async function ready() {
  await EVENTS.start();
  mode = 'ready';
  say('> ');
  if (prompt !== null) await submit(prompt);
}

function onKeys(data) {
  const s = data.toString('utf8');
  if (mode === 'starting') {
    // The trust dialog: whatever arrives answers it (Enter is "Yes, I trust this folder").
    log(`dialog-input: ${JSON.stringify(s)}`);
    mode = 'answered';
    run(ready);
    return;
  }
  if (mode === 'answered') return;
  if (mode === 'dialog') {
    log(`dialog-input: ${JSON.stringify(s)}`);
    const key = s.replace(/\x1b\[20[01]~/g, '');
    const yes = /^[1y\r]/.test(key);
    const cmd = pendingCommand;
    mode = 'working';
    run(async () => {
      if (yes) {
        say(`Ran ${cmd}`);
        await EVENTS.yes(cmd);
      } else {
        say('Interrupted');
        await EVENTS.no();
      }
      mode = 'ready';
      say('> ');
    });
    return;
  }
  // The prompt box: a bracketed paste is text; Enter submits.
  for (const part of s.replace(/\x1b\[20[01]~/g, '').split(/(\r|\n)/)) {
    if (part === '\r' || part === '\n') {
      const text = line;
      line = '';
      if (text !== '') run(() => submit(text));
    } else line += part;
  }
}

if (process.stdin.isTTY) process.stdin.setRawMode(true);
process.stdin.on('data', onKeys);
process.on('SIGHUP', () => process.exit(129));
if (dir && fs.existsSync(path.join(dir, `dialog-${branch}`))) {
  say('Do you trust the files in this folder?  1. Yes, I trust this folder  2. No, exit');
} else {
  run(ready);
}
