// Budgets at work: an agent whose cost passed its budget gets the reason `over budget ($4.12 of
// $4.00)` wherever fleet reads its usage (list, the dashboard, cost), and one notification the
// first time fleet sees it over. Which agents were notified is kept in the fleet home
// (run/budget-notified.json), so a notification is not repeated on every list.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Context } from '../context.js';
import { overBudgetReason } from '../core/usage/budget.js';
import type { AgentUsage } from '../core/usage/types.js';
import { atomicWrite } from '../fs/atomic-write.js';
import type { AgentRecord } from '../state/types.js';
import { budgetOf } from './usage.js';
import { messageClients } from '../tmux/sessions.js';

export interface OverBudget {
  record: AgentRecord;
  reason: string;
}

/** The agents over their budget, with the reason to show. */
export function overBudget(items: readonly { record: AgentRecord; usage: AgentUsage | null }[]): OverBudget[] {
  const out: OverBudget[] = [];
  for (const { record, usage } of items) {
    const reason = overBudgetReason(usage, budgetOf(record));
    if (reason) out.push({ record, reason });
  }
  return out;
}

function notifiedFile(home: string): string {
  return path.join(home, 'run', 'budget-notified.json');
}

/** One agent, as it was made (a new agent on the same branch is notified again). */
function keyOf(r: AgentRecord): string {
  return `${r.repo}\0${r.branch}\0${r.created_at}`;
}

/**
 * Notify each agent that is over budget and was not notified before; returns those notified.
 * Costs nothing when no agent is over budget. A failure to notify or to remember is a warning.
 */
export async function noticeOverBudget(ctx: Context, over: readonly OverBudget[]): Promise<OverBudget[]> {
  if (over.length === 0) return [];
  const file = notifiedFile(ctx.configs.home);
  let known: string[] = [];
  try {
    const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    if (Array.isArray(raw)) known = raw.filter((k): k is string => typeof k === 'string');
  } catch {
    // none yet
  }
  const fresh = over.filter((o) => !known.includes(keyOf(o.record)));
  if (fresh.length === 0) return [];
  for (const o of fresh) await notifyAgentChange(ctx, o.record, 'over-budget', o.reason);
  try {
    // Keep only agents that still exist in some form, so the file does not grow forever.
    const live = new Set((await ctx.state.read()).map(keyOf));
    const keep = [...known.filter((k) => live.has(k)), ...fresh.map((o) => keyOf(o.record))];
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    atomicWrite(file, JSON.stringify(keep));
  } catch (e) {
    ctx.ui.warn(`could not remember the budget notification: ${(e as Error).message}`);
  }
  return fresh;
}

/**
 * Tell the user an agent changed: a warning on stderr, a message on every attached tmux client
 * (as the hooks do for their state changes), and the user's notify_command, run in the
 * background with FLEET_BRANCH, FLEET_STATUS, FLEET_REASON, FLEET_REPO and FLEET_SESSION set
 * (from the file the hooks run it from, so it never shows on a command line).
 */
export async function notifyAgentChange(ctx: Context, record: AgentRecord, status: string, reason: string): Promise<void> {
  const text = `fleet: ${record.branch} (${record.repo_name}) ${status}: ${reason}`;
  ctx.ui.warn(`"${record.branch}" is ${reason}`);
  try {
    await messageClients(ctx.run, text);
  } catch {
    // no tmux server: the warning is all
  }
  if (ctx.config.notify_command.trim() === '') return;
  try {
    const { ensureNotifyFile } = await import('../hooks/hook-script.js'); // rare: only when notifying
    const file = ensureNotifyFile(ctx.configs.home, ctx.config.notify_command);
    const env = { ...ctx.env, FLEET_BRANCH: record.branch, FLEET_STATUS: status, FLEET_REASON: reason, FLEET_REPO: record.repo, FLEET_SESSION: record.session };
    const cwd = fs.existsSync(record.repo) ? record.repo : ctx.cwd;
    const child = spawn('sh', [file], { cwd, env, detached: true, stdio: 'ignore' });
    child.on('error', (e) => ctx.ui.warn(`notify_command did not run: ${e.message}`));
    child.unref();
  } catch (e) {
    ctx.ui.warn(`notify_command did not run: ${(e as Error).message}`);
  }
}
