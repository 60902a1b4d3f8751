/**
 * How each agent CLI is hooked, and how it resumes a conversation. Pure: the command lines,
 * settings and hashes, from the hook script's path. Facts from running the real CLIs
 * (claude-code 2.1.197, codex 0.171.0, gemini-cli 0.61.0, opencode 1.18.33) against stub APIs:
 *
 * - claude: `--settings '<json>'` adds hooks on top of the user's own (nothing written), and
 *   `--session-id <uuid>` lets fleet choose the conversation id. A declined permission fires no hook.
 * - codex: `-c hooks.<Event>=[…]` adds hooks, but codex runs only hooks whose hash is trusted;
 *   `-c hooks.state={…}` carries those hashes for this run only (nothing written to config.toml).
 *   `--dangerously-bypass-hook-trust` would also trust the repository's own .codex hooks: never.
 *   SessionStart fires at the first prompt, not at launch. Esc or "no" on a request fires Interrupt.
 * - gemini: hooks only from settings files or extensions under its home; see gemini-home.ts.
 * - opencode: a plugin (in-process JS) named in OPENCODE_CONFIG_CONTENT; see opencode-plugin.ts.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { hookCommand, type HookState } from './hook-script.js';

export const HOOK_KINDS = ['claude', 'codex', 'gemini', 'opencode'] as const;
export type HookKind = (typeof HOOK_KINDS)[number];

export function isHookKind(s: string): s is HookKind {
  return (HOOK_KINDS as readonly string[]).includes(s);
}

/** One hooked event: the state it means, and how the agent filters or runs it. */
export interface HookedEvent {
  event: string;
  state: HookState;
  /** claude/gemini matcher (claude: SessionStart's source, Notification's type; gemini: notification type). */
  matcher?: string;
  /** claude: run in the background; the agent does not wait for it (tool calls are the hot path). */
  async?: boolean;
}

/**
 * claude: SessionStart (prompt box reached, after any dialog; not "compact", which fires
 * mid-turn) means ready; a prompt starts a turn; a permission or AskUserQuestion dialog waits
 * (PermissionRequest, at the moment it shows); a tool's end means the dialog was answered yes;
 * the turn ends with Stop or, on an API error, StopFailure. An MCP server's question arrives as a
 * Notification of type elicitation_dialog.
 */
export const CLAUDE_EVENTS: readonly HookedEvent[] = [
  { event: 'SessionStart', state: 'done', matcher: 'startup|resume|clear' },
  { event: 'UserPromptSubmit', state: 'working' },
  { event: 'PermissionRequest', state: 'waiting' },
  { event: 'Notification', state: 'waiting', matcher: 'elicitation_dialog' },
  { event: 'PostToolUse', state: 'working', async: true },
  { event: 'Stop', state: 'done' },
  { event: 'StopFailure', state: 'done' },
];

/** codex: SessionStart comes with the first prompt (so: working); Interrupt is Esc or "no" on a request. */
export const CODEX_EVENTS: readonly HookedEvent[] = [
  { event: 'SessionStart', state: 'working' },
  { event: 'UserPromptSubmit', state: 'working' },
  { event: 'PermissionRequest', state: 'waiting' },
  { event: 'PostToolUse', state: 'working' },
  { event: 'Stop', state: 'done' },
  { event: 'Interrupt', state: 'done' },
];

/** gemini: BeforeAgent is a prompt, a ToolPermission Notification the confirmation dialog, AfterAgent the turn's end. */
export const GEMINI_EVENTS: readonly HookedEvent[] = [
  { event: 'SessionStart', state: 'done' },
  { event: 'BeforeAgent', state: 'working' },
  { event: 'Notification', state: 'waiting', matcher: 'ToolPermission' },
  { event: 'AfterTool', state: 'working' },
  { event: 'AfterAgent', state: 'done' },
];

/** Seconds an agent waits for one hook before giving up on it (the script takes milliseconds). */
const HOOK_TIMEOUT_S = 10;

/** `--settings` JSON for claude: fleet's hooks, merged by claude with the user's own. */
export function claudeSettings(script: string): string {
  const hooks: Record<string, unknown[]> = {};
  for (const e of CLAUDE_EVENTS) {
    const handler = { type: 'command', command: hookCommand(script, e.state, e.event), timeout: HOOK_TIMEOUT_S, ...(e.async ? { async: true } : {}) };
    hooks[e.event] = [{ ...(e.matcher ? { matcher: e.matcher } : {}), hooks: [handler] }];
  }
  return JSON.stringify({ hooks });
}

/** codex's name for an event in its trust keys (`SessionStart` → `session_start`). */
export function snakeCase(event: string): string {
  return event.replace(/[A-Z]/g, (c, i: number) => (i === 0 ? '' : '_') + c.toLowerCase());
}

/** A TOML basic string. */
function tomlString(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}

/**
 * The hash codex trusts a hook by: sha256 of the canonical JSON (keys sorted, no spaces) of
 * `{event_name, hooks: [{async, command, timeout, type}]}`, with the timeout as codex
 * normalizes it (it clamps Interrupt's and SessionEnd's to 3 s, so ours stay at 3).
 */
export function codexTrustHash(event: string, command: string, timeout: number): string {
  const canonical = `{"event_name":${JSON.stringify(snakeCase(event))},"hooks":[{"async":false,"command":${JSON.stringify(command)},"timeout":${timeout},"type":"command"}]}`;
  return `sha256:${crypto.createHash('sha256').update(canonical).digest('hex')}`;
}

/**
 * `-c` overrides that give codex fleet's hooks and trust exactly those for this run (the
 * trust key names the hook by layer, event and position: `/<session-flags>/config.toml:stop:0:0`).
 */
export function codexHookArgs(script: string): string[] {
  const args: string[] = [];
  const trusted: string[] = [];
  for (const e of CODEX_EVENTS) {
    const command = hookCommand(script, e.state, e.event);
    const timeout = e.event === 'Interrupt' ? 3 : HOOK_TIMEOUT_S;
    args.push('-c', `hooks.${e.event}=[{hooks=[{type="command",command=${tomlString(command)},timeout=${timeout}}]}]`);
    trusted.push(`${tomlString(`/<session-flags>/config.toml:${snakeCase(e.event)}:0:0`)}={trusted_hash="${codexTrustHash(e.event, command, timeout)}"}`);
  }
  args.push('-c', `hooks.state={${trusted.join(',')}}`);
  return args;
}

/** gemini's hooks, as an extension's hooks/hooks.json. */
export function geminiHooksJson(script: string): string {
  const hooks: Record<string, unknown[]> = {};
  for (const e of GEMINI_EVENTS) {
    hooks[e.event] = [{ ...(e.matcher ? { matcher: e.matcher } : {}), hooks: [{ type: 'command', command: hookCommand(script, e.state, e.event) }] }];
  }
  return JSON.stringify({ hooks }, null, 2);
}

/** The program a hook kind runs, to find it in a user's command line (`npx claude …`, `/opt/bin/codex`). */
const PROGRAMS: Record<HookKind, string> = { claude: 'claude', codex: 'codex', gemini: 'gemini', opencode: 'opencode' };

/** Where a kind's own flags go in `argv`: right after its program (the first word if none is found). */
export function flagsIndex(kind: HookKind, argv: readonly string[]): number {
  const i = argv.findIndex((a) => path.basename(a) === PROGRAMS[kind]);
  return (i === -1 ? 0 : i) + 1;
}

/** `args` inserted into `argv` after the kind's program. */
export function withFlags(kind: HookKind, argv: readonly string[], args: readonly string[]): string[] {
  const at = flagsIndex(kind, argv);
  return [...argv.slice(0, at), ...args, ...argv.slice(at)];
}

/** The arguments that resume a conversation (or the last one of this directory, when its id was never learned). */
export function resumeArgs(kind: HookKind, conversation: string | null): string[] {
  switch (kind) {
    case 'claude':
      return conversation ? ['--resume', conversation] : ['--continue'];
    case 'codex':
      return conversation ? ['resume', conversation] : ['resume', '--last'];
    case 'gemini':
      return ['--resume', conversation ?? 'latest'];
    case 'opencode':
      return conversation ? ['--session', conversation] : ['--continue'];
  }
}

/** Flags that carry the first prompt in the built-in profiles (dropped with it when resuming without one). */
const PROMPT_FLAGS = new Set(['--prompt-interactive', '-i', '--prompt', '--message', '-m']);

/**
 * A profile's argv turned into the one that resumes `conversation`: the prompt's slot (and a
 * flag that carries it) replaced by the kind's resume arguments, followed by the prompt (with
 * its flag) when there is one. `{prompt}` stays the marker of where the prompt goes.
 */
export function resumeArgv(kind: HookKind, profileArgv: readonly string[], conversation: string | null, withPrompt: boolean, placeholder: string): string[] {
  const slot = profileArgv.findIndex((a) => a.includes(placeholder));
  const resume = resumeArgs(kind, conversation);
  if (slot === -1) return [...profileArgv, ...resume, ...(withPrompt ? [placeholder] : [])];
  const flag = slot > 0 && PROMPT_FLAGS.has(profileArgv[slot - 1]!) ? profileArgv[slot - 1]! : null;
  const start = flag ? slot - 1 : slot;
  const prompt = withPrompt ? [...(flag ? [flag] : []), profileArgv[slot]!] : [];
  return [...profileArgv.slice(0, start), ...resume, ...prompt, ...profileArgv.slice(slot + 1)];
}
