/**
 * The environment an agent starts with (SPEC "Trust"): the environment of the shell that ran
 * fleet — not the tmux server's, which is whatever shell started the server, maybe days ago —
 * then, each overriding the one before, the agent kind's own defaults, the config's `[env]`,
 * the profile's `[agents.NAME.env]`, and fleet's FLEET_* variables. Pure.
 */

/**
 * Set by tmux for the pane itself, so the agent gets tmux's and never the caller's: TMUX and
 * TMUX_PANE name the pane's own server and pane, and TERM must describe tmux's terminal
 * (default-terminal), not the one fleet was run from.
 */
export const PANE_VARIABLES: readonly string[] = ['TMUX', 'TMUX_PANE', 'TERM'];

/** Names a shell can export. Others (bash's exported functions, `BASH_FUNC_f%%`) cannot pass through the launcher. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface AgentEnvInput {
  /** The environment fleet was started with. */
  caller: Readonly<Record<string, string | undefined>>;
  /** The agent kind's defaults and the profile's own `[agents.NAME.env]`. */
  profile: { defaults: Readonly<Record<string, string>>; own: Readonly<Record<string, string>> };
  /** The config's `[env]`. */
  config: Readonly<Record<string, string>>;
  /** FLEET_REPO, FLEET_BRANCH, …: always fleet's. */
  fleet: Readonly<Record<string, string>>;
  /** The agent's directory: PWD says where it starts, not where fleet was run. */
  worktree: string;
}

export function agentEnv(input: AgentEnvInput): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.caller)) {
    if (v === undefined || !ENV_NAME.test(k) || PANE_VARIABLES.includes(k) || v.includes('\0')) continue;
    out[k] = v;
  }
  out.PWD = input.worktree;
  delete out.OLDPWD;
  for (const layer of [input.profile.defaults, input.config, input.profile.own, input.fleet]) {
    for (const [k, v] of Object.entries(layer)) if (ENV_NAME.test(k)) out[k] = v;
  }
  return out;
}
