import { batchOutcome, type BatchResult } from '../core/batch.js';
import type { Ui } from './output.js';
import { makeProgress, type ProgressFactory } from './progress.js';
import { tildify } from '../core/format.js';

/** Progress of a batch on stderr: redrawn in place on a terminal, one plain line per agent elsewhere. */
export function progressOn(ui: Ui): ProgressFactory {
  return (agents) => makeProgress(agents, { live: ui.liveProgress, color: ui.color, stream: process.stderr });
}

/**
 * What fanout and multi print once a batch is made: stdout lists the agents that run (or,
 * with --json, their records), stderr explains each failure; then it throws what the outcome
 * means for the exit status (nothing when every agent runs).
 */
export function reportBatch(ui: Ui, result: BatchResult, opts: { json?: boolean; home: string | undefined }): void {
  const { plans, created, batchId } = result;
  if (opts.json) {
    ui.out(JSON.stringify(created, null, 2));
  } else if (created.length > 0) {
    const n = (k: number) => `${k} agent${k === 1 ? '' : 's'}`;
    const started = created.length === plans.length ? `${n(plans.length)} started` : `${created.length} of ${n(plans.length)} started`;
    const bw = Math.max(...created.map((r) => r.branch.length));
    const aw = Math.max(...created.map((r) => r.agent.length));
    ui.out(
      [
        `batch ${batchId}: ${started}`,
        ...created.map((r) => `  ${r.branch.padEnd(bw)}  ${r.agent.padEnd(aw)}  ${r.host ? `${r.host}:${r.worktree}` : tildify(r.worktree, opts.home)}`),
        `next: fleet list --grouped · fleet logs ${created[0]!.branch} · fleet kill --batch ${batchId}`,
      ].join('\n'),
    );
  }
  const { error, details } = batchOutcome(result);
  for (const d of details) ui.note(d);
  if (error) throw error;
}
