/**
 * `fleet revive`: start an agent again, in its existing worktree and tmux session name, on the
 * same conversation (after a reboot, or a tmux server that went away). claude and gemini get
 * the conversation id fleet chose when it started them; codex and opencode tell theirs in their
 * hooks, and list records it; when it was never learned, the agent resumes the last
 * conversation of its worktree directory (claude --continue, codex resume --last, …).
 */
import fs from 'node:fs';
import { FleetError } from '../errors.js';
import type { Context } from '../context.js';
import { CONVERSATION_PLACEHOLDER, PROMPT_PLACEHOLDER, launchPlanFor, resolveProfile, type AgentProfile, type LaunchPlan } from '../core/profiles.js';
import type { AgentView } from '../core/reconcile.js';
import { isHookKind, resumeArgs, resumeArgv, type HookKind } from '../hooks/agents.js';
import { sameAgent } from '../state/state-manager.js';
import type { AgentRecord } from '../state/types.js';
import { killSession } from '../tmux/sessions.js';
import { hookedStart } from './agent-hooks.js';
import { agentSessionOptions, launchEnv, startAgentSession } from './create-agent.js';
import { hostHookScriptPath } from '../hooks/hook-script.js';

/** How an agent would be revived, or why it cannot be. */
export type RevivePlan = { ok: true; profile: AgentProfile; kind: HookKind | null } | { ok: false; why: string };

/** Can this record be revived on its conversation (whatever its status)? */
export function revivePlan(ctx: Context, record: AgentRecord): RevivePlan {
  let profile: AgentProfile;
  try {
    profile = resolveProfile(ctx.config, record.agent);
  } catch {
    return { ok: false, why: `its agent profile "${record.agent}" no longer exists` };
  }
  const kind = record.hooks && isHookKind(record.hooks) ? record.hooks : profile.hooks;
  if (profile.resume) {
    if (!record.conversation_id) return { ok: false, why: 'its conversation id was never learned, and its profile resumes by id' };
    return { ok: true, profile, kind };
  }
  if (!kind) return { ok: false, why: `agent "${record.agent}" keeps no conversation fleet can resume (a profile can say how: resume = "… {conversation}")` };
  return { ok: true, profile, kind };
}

/** The launch that resumes the record's conversation; `prompt` (if any) is typed as its first prompt. */
export function resumeLaunch(plan: { profile: AgentProfile; kind: HookKind | null }, conversation: string | null, prompt: string | null): { launch: LaunchPlan; text: string } {
  const { profile, kind } = plan;
  if (profile.resume) {
    const words = profile.resume.map((w) => (prompt === null ? w : w.split(CONVERSATION_PLACEHOLDER).join(conversation!)));
    if (prompt !== null) return { launch: launchPlanFor(words), text: prompt };
    // No prompt: the conversation id itself rides in the launcher's one slot.
    const slot = words.findIndex((w) => w.includes(CONVERSATION_PLACEHOLDER));
    const at = words[slot]!.indexOf(CONVERSATION_PLACEHOLDER);
    return {
      launch: { argv: words.map((w, i) => (i === slot ? '' : w.split(CONVERSATION_PLACEHOLDER).join(conversation!))), promptIndex: slot, prefix: words[slot]!.slice(0, at), suffix: words[slot]!.slice(at + CONVERSATION_PLACEHOLDER.length) },
      text: conversation!,
    };
  }
  const argv = resumeArgv(kind!, profile.argv, conversation, prompt !== null, PROMPT_PLACEHOLDER);
  if (prompt !== null) return { launch: launchPlanFor(argv), text: prompt };
  // No prompt: the last resume argument takes the launcher's slot.
  const last = resumeArgs(kind!, conversation).at(-1)!;
  const slot = argv.lastIndexOf(last);
  return { launch: { argv: argv.map((w, i) => (i === slot ? '' : w)), promptIndex: slot, prefix: '', suffix: '' }, text: last };
}

async function hostOf(ctx: Context, record: AgentRecord) {
  const [{ recordPlace }, { hostHomeOf }] = await Promise.all([import('../remote/host-place.js'), import('../remote/host-agent.js')]);
  return { place: recordPlace(ctx, record), home: hostHomeOf(record.worktree) };
}

/**
 * Start the agent of `record` again on its conversation: a new tmux session of the same name in
 * its worktree, with the same options and hooks (an agent on a host: there, as create --host
 * starts it). A dead pane left by an agent that exited is replaced. Updates the record (its hooks), returns it.
 */
export async function reviveAgent(ctx: Context, view: AgentView, opts: { prompt?: string | null; onNote?: (n: string) => void } = {}): Promise<AgentRecord> {
  const record = view.record;
  if (view.status !== 'missing' && view.status !== 'exited') {
    throw new FleetError(`"${record.branch}" is ${view.status}: only an agent whose session is gone (missing) or whose program ended (exited) can be revived`, {
      hint: view.status === 'unreachable' ? `once host "${record.host}" answers again (fleet doctor --host ${record.host}), see it with fleet list` : `fleet attach ${record.branch}`,
    });
  }
  // On a host: its worktree, session and launch file there (the same steps as create --host).
  const onHost = record.host ? await hostOf(ctx, record) : null;
  const worktreeThere = onHost ? (await onHost.place.run('test', ['-d', record.worktree], { reject: false })).exitCode === 0 : fs.existsSync(record.worktree);
  if (!worktreeThere) {
    const where = record.host ? `${record.host}:${record.worktree}` : record.worktree;
    throw new FleetError(`the worktree of "${record.branch}" is gone (${where}), so there is nothing to revive it in`, { hint: 'fleet prune cleans up its record' });
  }
  const plan = revivePlan(ctx, record);
  if (!plan.ok) throw new FleetError(`cannot revive "${record.branch}": ${plan.why}`, { hint: `fleet kill ${record.branch}, then fleet create ${record.branch} --prompt "…" starts it afresh` });
  const conversation = record.conversation_id ?? null;
  const { launch, text } = resumeLaunch(plan, conversation, opts.prompt ?? null);
  const start = hookedStart(ctx, { kind: plan.kind, launch, repo: record.repo, resuming: true, onNote: opts.onNote, hostScript: onHost ? hostHookScriptPath(onHost.home) : undefined });
  if (onHost && !start.hooks) start.paneDied = '';
  if (view.status === 'exited') await killSession(onHost ? onHost.place.run : ctx.run, record.session);
  const env = launchEnv(ctx, record, plan.profile.env, start.env);
  const options = { ...start.options, ...(conversation ? { conversation } : {}) };
  if (onHost) {
    const { startOnHost } = await import('../remote/host-create.js');
    await startOnHost(onHost.place, onHost.home, { ...start, record, env, text, options: { ...agentSessionOptions(record), ...options } });
  } else {
    await startAgentSession(ctx, { ...start, record, env, text, options });
  }
  const updated: AgentRecord = { ...record, hooks: start.hooks };
  await ctx.state.update((agents) => agents.map((a) => (sameAgent(a, record) ? { ...a, hooks: start.hooks } : a)));
  return updated;
}
