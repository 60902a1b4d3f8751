import { ConfigManager, type ConfigReport } from './config/config-manager.js';
import { guardConfig, ignoredWarning } from './config/ignored.js';
import type { FleetConfig } from './config/schema.js';
import { recordsFromPanes } from './core/reconcile.js';
import { repoInfo, type RepoInfo } from './git/repo.js';
import { systemProcesses, type ProcessTable } from './process/process-table.js';
import { run as defaultRunner, type Runner } from './process/runner.js';
import { StateManager } from './state/state-manager.js';
import { listPanes } from './tmux/sessions.js';
import { makeUi, type Ui } from './ui/output.js';

/**
 * What every command starts from, made without any I/O: the runner every git/tmux/ps call goes
 * through, the environment and directory fleet was started with (nothing below reads
 * process.env or process.cwd itself), where output goes, and the config files' manager.
 */
export interface BaseContext {
  run: Runner;
  /** The process table (read and signalled only to end an agent's processes). */
  procs: ProcessTable;
  configs: ConfigManager;
  ui: Ui;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** Everything a command needs, built once per invocation: the base plus config, state and the repository. */
export interface Context extends BaseContext {
  state: StateManager;
  config: FleetConfig;
  /** The config files that were read, lowest precedence first. */
  configFiles: string[];
  /** Where each value came from, and the repository keys that were ignored (untrusted or user-only). */
  configReport: ConfigReport;
  repo: RepoInfo | null;
}

/** A context inside a repository (loadContext with needRepo). */
export type RepoContext = Context & { repo: RepoInfo };

export interface ContextOptions {
  /** Fail with "not inside a git repository" when there is none. */
  needRepo?: boolean;
  json?: boolean;
  /** false: no warning when an ignored repository key is read (config show marks them instead). */
  warnIgnored?: boolean;
  run?: Runner;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** The process's runner, environment and directory; loadContext builds on it. */
export function baseContext(opts: ContextOptions = {}): BaseContext {
  const env = opts.env ?? process.env;
  const run = opts.run ?? defaultRunner;
  return {
    run,
    procs: systemProcesses(run),
    configs: new ConfigManager(env),
    ui: makeUi({ json: opts.json, env }),
    cwd: opts.cwd ?? process.cwd(),
    env,
  };
}

/** Find the repository, load and check the config (warnings printed), and set up state. */
export async function loadContext(opts: ContextOptions & { needRepo: true }, base?: BaseContext): Promise<RepoContext>;
export async function loadContext(opts?: ContextOptions, base?: BaseContext): Promise<Context>;
export async function loadContext(opts: ContextOptions = {}, base: BaseContext = baseContext(opts)): Promise<Context> {
  const { run, cwd, ui, configs } = base;
  let repo: RepoInfo | null = null;
  if (opts.needRepo) repo = await repoInfo(run, cwd);
  else repo = await repoInfo(run, cwd).catch(() => null);

  const loaded = await configs.load(repo?.root, (m) => ui.warn(m));
  for (const w of loaded.warnings) ui.warn(w);
  const { files: configFiles, report: configReport } = loaded;
  // Keys the repository's .fleet.toml set but may not (yet): the first read of one warns, once.
  const config =
    opts.warnIgnored === false ? loaded.config : guardConfig(loaded.config, configReport.ignored, () => ui.warn(ignoredWarning(configReport, base.env.HOME)));

  const state = new StateManager(configs.home, {
    rebuild: async () => recordsFromPanes(await listPanes(run), config.tmux_prefix),
    warn: (m) => ui.warn(m),
  });
  return { ...base, state, config, configFiles, configReport, repo };
}
