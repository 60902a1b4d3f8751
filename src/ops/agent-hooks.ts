/**
 * What starting an agent with hooks adds to a plain start (create and revive share it): the
 * flags, environment and tmux options that make it report its state, the session's pane-died
 * hook (every agent, hooked or not, reports its exit and notifies), and the first-run warnings
 * said before anything starts.
 */
import type { Context } from '../context.js';
import { insertArgs, type LaunchPlan } from '../core/profiles.js';
import { flagsIndex, type HookKind } from '../hooks/agents.js';
import { ensureHookScript, ensureNotifyFile, paneDiedCommand } from '../hooks/hook-script.js';
import { prepareHooks } from '../hooks/launch.js';
import { firstRunNotes } from '../hooks/trust.js';
import type { FleetOption } from '../core/parse.js';

export interface HookedStart {
  launch: LaunchPlan;
  env: Record<string, string>;
  options: Partial<Record<FleetOption, string>>;
  extraOptions: Record<string, string>;
  paneDied: string;
  /** For the record. */
  hooks: HookKind | null;
  conversation: string | null;
}

/**
 * The kinds hooked on a host: their hooks are command-line flags plus the hook script. gemini and
 * opencode would need files in the user's home there: they run unhooked (status from output).
 */
export const HOST_HOOK_KINDS: ReadonlySet<HookKind> = new Set(['claude', 'codex']);

/**
 * Turn a plain launch into one that reports its state. `resuming`: no new conversation id is
 * chosen. `hostScript`: the agent runs on a host, where the hook script is at that path (the
 * caller writes it there: remote/host-agent.ts ensureHostHookScript); notify_command does not
 * run there, and only HOST_HOOK_KINDS are hooked.
 */
export function hookedStart(
  ctx: Context,
  req: { kind: HookKind | null; launch: LaunchPlan; repo: string; resuming: boolean; onNote?: (n: string) => void; hostScript?: string },
): HookedStart {
  const home = ctx.configs.home;
  const onHost = req.hostScript !== undefined;
  const script = req.hostScript ?? ensureHookScript(home);
  const extraOptions: Record<string, string> = {};
  if (!onHost && ctx.config.notify_command.trim() !== '') extraOptions.notify = ensureNotifyFile(home, ctx.config.notify_command);
  const plain = { launch: req.launch, env: {}, options: {}, extraOptions, paneDied: paneDiedCommand(script), hooks: null, conversation: null };
  const kind = onHost && req.kind && !HOST_HOOK_KINDS.has(req.kind) ? null : req.kind;
  if (!kind) return plain;
  const h = prepareHooks(kind, { home, env: ctx.env, repoRoot: req.repo, resuming: req.resuming, script: req.hostScript });
  if (h.note) req.onNote?.(h.note);
  if (!h.kind) return plain;
  return {
    ...plain,
    launch: h.flags.length > 0 ? insertArgs(req.launch, flagsIndex(h.kind, req.launch.argv), h.flags) : req.launch,
    env: h.env,
    options: { hooks: h.kind, ...(h.conversation ? { conversation: h.conversation } : {}) },
    hooks: h.kind,
    conversation: h.conversation,
  };
}

/**
 * Say, before anything is made, what would stop these agents at a dialog (an untrusted
 * repository, an agent never set up here), with the one command that settles it. Read from
 * each agent's own files; nothing is written.
 */
export async function warnFirstRun(ctx: Context, plans: readonly { hooks: HookKind | null; repo: string; worktree: string; host?: string | null }[]): Promise<void> {
  const seen = new Set<string>();
  for (const p of plans) {
    // On a host, the agents read the host's trust stores, not these: not checked (README, Remote hosts).
    if (!p.hooks || p.host || seen.has(p.hooks)) continue;
    seen.add(p.hooks);
    for (const n of await firstRunNotes(p.hooks, ctx.env, p.repo, p.worktree)) {
      ctx.ui.warn(n.message);
      ctx.ui.note(`hint: ${n.hint}`);
    }
  }
}
