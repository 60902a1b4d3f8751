import { ConfigManager } from './config/config-manager.js';
import type { FleetConfig } from './config/schema.js';
import { recordsFromPanes } from './core/reconcile.js';
import { WorktreeManager, type RepoInfo } from './git/worktree-manager.js';
import { run as defaultRunner, type Runner } from './process/runner.js';
import { StateManager } from './state/state-manager.js';
import { TmuxManager } from './tmux/tmux-manager.js';
import { makeUi, type Ui } from './ui/output.js';

/** Everything a command needs, built once per invocation. */
export interface Context {
  run: Runner;
  git: WorktreeManager;
  tmux: TmuxManager;
  configs: ConfigManager;
  state: StateManager;
  config: FleetConfig;
  repo: RepoInfo | null;
  ui: Ui;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface ContextOptions {
  /** Fail with "not inside a git repository" when there is none. */
  needRepo?: boolean;
  json?: boolean;
  run?: Runner;
  cwd?: string;
}

export async function loadContext(opts: ContextOptions & { needRepo: true }): Promise<Context & { repo: RepoInfo }>;
export async function loadContext(opts?: ContextOptions): Promise<Context>;
export async function loadContext(opts: ContextOptions = {}): Promise<Context> {
  const run = opts.run ?? defaultRunner;
  const cwd = opts.cwd ?? process.cwd();
  const env = process.env;
  const ui = makeUi({ json: opts.json });
  const git = new WorktreeManager(run);
  const tmux = new TmuxManager(run);
  const configs = new ConfigManager(env);

  let repo: RepoInfo | null = null;
  if (opts.needRepo) repo = await git.repoInfo(cwd);
  else repo = await git.repoInfo(cwd).catch(() => null);

  const loaded = await configs.load(repo?.root);
  for (const w of loaded.warnings) ui.warn(w);
  const config = loaded.config;

  const state = new StateManager(configs.home, {
    rebuild: async () => recordsFromPanes(await tmux.listPanes(), config.tmux_prefix),
    warn: (m) => ui.warn(m),
  });
  return { run, git, tmux, configs, state, config, repo, ui, cwd, env };
}
