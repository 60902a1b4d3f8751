/**
 * Where an agent lives: this machine, or a host reached by ssh (`[hosts.NAME]`). git and tmux
 * already run through a Runner with an explicit cwd, so on a host they run unchanged through
 * the host's remote runner; a Place adds the few steps that touch the file system or the
 * process table directly (a worktree's existence, removing a directory, ending processes,
 * writing a file), each done on the host in one ssh call. The local place only wraps what the
 * ops always called; a host's is loaded (with the ssh code) only when a record or --host names
 * one, so a user without hosts loads none of it.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BaseContext, Context } from '../context.js';
import { copyFiles, type CopyResult } from '../git/copy-files.js';
import { isCheckout } from '../git/snapshot.js';
import { unsavedWork, type UnsavedWork } from '../git/status.js';
import { addWorktree, removeWorktree, type AddWorktree } from '../git/worktrees.js';
import type { Runner } from '../process/runner.js';
import type { AgentRecord } from '../state/types.js';
import type { LaunchPlan } from '../core/profiles.js';
import { worktreePathFor } from '../core/names.js';
import type { PaneInfo } from '../core/parse.js';
import { listPanes } from '../tmux/sessions.js';
import { launcherArgv, writeLaunchFile } from '../tmux/launcher.js';
import type { EndResult, EndTarget } from './end-agent.js';

export interface Place {
  /** The host's name; null for this machine. */
  readonly host: string | null;
  /** git and tmux there. */
  readonly run: Runner;
  /** Where worktrees of `repoName` go there (worktree_root here, ~/.ai_fleet/worktrees on a host). */
  worktreePath(repoName: string, branch: string): string;
  /** The root every worktree fleet makes there is under (removal refuses anything else). */
  readonly worktreeRoot: string;
  /** The repository there that holds the agent's branch: the main checkout, or the host's clone. */
  repoOf(record: Pick<AgentRecord, 'repo' | 'remote_repo'>): string;
  /** Is the directory a git checkout (still)? */
  isCheckout(dir: string): Promise<boolean>;
  /** What removing the worktree would lose (git/status.ts unsavedWork), read there. */
  unsavedWork(worktree: string, copied: readonly string[]): Promise<UnsavedWork>;
  /** End a session and everything of its worktree there (ops/end-agent.ts). */
  endAgentProcesses(target: EndTarget): Promise<EndResult>;
  addWorktree(repo: string, opts: AddWorktree): Promise<void>;
  /** Remove a worktree fleet made (refusing the main checkout and anything outside worktreeRoot). */
  removeWorktree(repo: string, dir: string, opts: { force: boolean }): Promise<void>;
  /** Copy credential files from the local repository into a worktree there (git/copy-files.ts rules). */
  copyFiles(localRepo: string, worktree: string, patterns: readonly string[]): Promise<CopyResult>;
  /** Write the launch file there (tmux/launcher.ts); returns its path. */
  writeLaunchFile(session: string, env: Readonly<Record<string, string>>, prompt: string): Promise<string>;
  /** Remove a file fleet wrote there (a launch file no launcher read). */
  removeFile(file: string): Promise<void>;
  /** The argv tmux runs there to start the agent through the launch file. */
  launcherArgv(plan: LaunchPlan, launchFile: string): string[];
  /**
   * The environment an agent starts from there: here, the caller's (core/agent-env); on a
   * host, nothing of this machine's (its PATH and HOME mean nothing there): the host's own
   * environment, which the launcher keeps.
   */
  callerEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /** Every tmux pane there (tmux/sessions.ts listPanes). */
  listPanes(): Promise<PaneInfo[]>;
  /** A path as the user should read it: ~ for this machine's home; `host:` before a host's. */
  show(p: string, home: string | undefined): string;
}

/** This machine: the calls the ops always made. */
export function localPlace(ctx: BaseContext & { config: Context['config'] }): Place {
  const root = ctx.config.worktree_root;
  return {
    host: null,
    run: ctx.run,
    worktreeRoot: root,
    worktreePath: (repoName, branch) => worktreePathFor(root, repoName, branch),
    repoOf: (r) => r.repo,
    isCheckout: async (dir) => isCheckout(dir),
    unsavedWork: (worktree, copied) => unsavedWork(ctx.run, worktree, copied),
    endAgentProcesses: async (target) => (await import('./end-agent.js')).endAgentProcesses(ctx, target),
    addWorktree: (repo, opts) => addWorktree(ctx.run, repo, opts),
    removeWorktree: (repo, dir, opts) => removeWorktree(ctx.run, repo, dir, { worktreeRoot: root, force: opts.force }),
    copyFiles: async (repo, worktree, patterns) => copyFiles(repo, worktree, patterns),
    writeLaunchFile: async (session, env, prompt) => writeLaunchFile(ctx.configs.home, session, env, prompt),
    removeFile: async (file) => fs.rmSync(file, { force: true }),
    launcherArgv: (plan, file) => launcherArgv(plan, file),
    callerEnv: (env) => env,
    listPanes: () => listPanes(ctx.run),
    show: (p, home) => (home && home !== '/' && (p === home || p.startsWith(home + path.sep)) ? '~' + p.slice(home.length) : p),
  };
}

/** The place of `host` (null: this machine). A host's is made once per process (one connection, one runner). */
export async function placeOf(ctx: Context, host: string | null | undefined): Promise<Place> {
  if (!host) return localPlace(ctx);
  const { hostPlace } = await import('../remote/place.js');
  return hostPlace(ctx, host);
}

/** The place an agent's record says it lives in. */
export function placeOfRecord(ctx: Context, record: Pick<AgentRecord, 'host'>): Promise<Place> {
  return placeOf(ctx, record.host);
}
