import { BUILTIN_NAMES, agentFacts } from '../core/profiles.js';
import { validateHosts, type HostConfig } from './hosts.js';
import { validatePricing } from '../core/usage/pricing-config.js';
import type { ModelPrice } from '../core/usage/prices.js';
import { validateAgents, validateEnv, type AgentConfig, type Bad, type TableEntries } from './tables.js';

/**
 * Whether a key may come from a repository's `.fleet.toml` (SPEC "Trust"):
 * - `harmless`: applies from a repository file as it is (how many, how long, which built-in);
 * - `gated`: runs or chooses programs or paths; applies from a repository file only once the user
 *   trusted that file's exact content (`fleet trust`);
 * - `user-only`: never from a repository file, trusted or not (where commands run and as whom).
 * The user's own config.toml is always applied whole.
 */
export type TrustClass = 'harmless' | 'gated' | 'user-only';

/** What a trust rule may look at of the configuration before the repository file (defaults + the user's file). */
export interface ConfigBefore {
  agents: Readonly<Record<string, unknown>>;
}

/**
 * A key's trust class, or a rule that decides it from the value a repository file gives and the
 * configuration before that file. (Not typed FleetConfig: that type is made from these specs.)
 */
export type TrustRule<V> = TrustClass | ((value: V, before: ConfigBefore) => TrustClass);

interface ScalarTypes {
  string: string;
  'string[]': string[];
  int: number;
  number: number;
  /** A string naming a file or directory: `~` is expanded and a relative path is resolved against the directory of the file that sets it. */
  path: string;
}
type ScalarType = keyof ScalarTypes;

interface SpecBase {
  description: string;
}

export interface ScalarSpec<K extends ScalarType = ScalarType> extends SpecBase {
  type: K;
  trust: TrustRule<ScalarTypes[K]>;
  /** The value when no file sets it (a function of the fleet home where it depends on it). */
  default: ScalarTypes[K] | ((home: string) => ScalarTypes[K]);
  /** Extra check beyond the type; returns the expectation when it fails. */
  check?: (v: ScalarTypes[K]) => string | null;
}

/**
 * A table of named entries (`[agents.NAME]`, `[env]`, `[hosts.NAME]`). Files merge entry by
 * entry (a repository's `[agents.claude]` replaces the user's), and trust applies to each entry.
 */
export interface TableSpec<T> extends SpecBase {
  type: 'table';
  trust: TrustRule<T>;
  validate: (raw: unknown, file: string, bad: Bad) => TableEntries<T>;
}

export type KeySpec = ScalarSpec | TableSpec<unknown>;

/** One constructor per kind of value, so a key is declared on one line with its type inferred. */
const key = {
  string: (s: Omit<ScalarSpec<'string'>, 'type'>): ScalarSpec<'string'> => ({ type: 'string', ...s }),
  strings: (s: Omit<ScalarSpec<'string[]'>, 'type'>): ScalarSpec<'string[]'> => ({ type: 'string[]', ...s }),
  int: (s: Omit<ScalarSpec<'int'>, 'type'>): ScalarSpec<'int'> => ({ type: 'int', ...s }),
  number: (s: Omit<ScalarSpec<'number'>, 'type'>): ScalarSpec<'number'> => ({ type: 'number', ...s }),
  path: (s: Omit<ScalarSpec<'path'>, 'type'>): ScalarSpec<'path'> => ({ type: 'path', ...s }),
  table: <T>(s: Omit<TableSpec<T>, 'type'>): TableSpec<T> => ({ type: 'table', ...s }),
};

/**
 * Every configuration key: its type, default, trust class and one line of help. Adding a key is
 * one entry here; FleetConfig, validation, merging, `config get/set/show` and trust follow.
 */
export const CONFIG_KEYS = {
  default_agent: key.string({ default: 'claude', trust: defaultAgentTrust, check: nonEmpty, description: 'agent profile used when --agent is not given' }),
  worktree_root: key.path({ default: (home) => `${home}/worktrees`, trust: 'gated', check: nonEmpty, description: 'where worktrees are made (~ expanded; relative to the file that sets it)' }),
  tmux_prefix: key.string({ default: 'fleet_', trust: 'gated', check: tmuxPrefix, description: 'prefix of every tmux session fleet owns (and may remove)' }),
  credential_files: key.strings({ default: [], trust: 'gated', description: 'paths or globs copied (mode kept) into each new worktree' }),
  setup_commands: key.strings({ default: [], trust: 'gated', description: 'shell commands run in each new worktree before its agent starts' }),
  max_parallel: key.int({ default: 4, trust: 'harmless', check: range(1, 64), description: 'how many agents fanout/multi set up at once' }),
  claude_flags: key.string({ default: '', trust: 'gated', description: 'extra flags for the claude profile' }),
  idle_seconds: key.int({ default: 30, trust: 'harmless', check: (v) => (v >= 1 ? null : 'a whole number of seconds, at least 1'), description: 'seconds without output before a live agent shows as idle' }),
  compare_command: key.string({ default: '', trust: 'gated', description: 'the check fleet compare runs in each worktree of a batch' }),
  notify_command: key.string({
    default: '',
    trust: 'gated',
    description: 'shell command run on every change of an agent into waiting, done or exited (FLEET_BRANCH, FLEET_STATUS, FLEET_REASON, FLEET_REPO, FLEET_SESSION set)',
  }),
  budget_usd: key.number({ default: 0, trust: 'harmless', check: (v) => (v >= 0 ? null : 'an amount of USD, 0 or more (0: no budget)'), description: 'USD each new agent may spend before fleet says it is over budget (0: none; --budget overrides)' }),
  pricing: key.table<ModelPrice>({ trust: 'harmless', validate: validatePricingTable, description: 'prices of models, USD per million tokens: [pricing."model-id"] input = 3.0, output = 15.0, …' }),
  env: key.table<string>({ trust: 'gated', validate: validateEnv, description: 'environment variables every agent gets: [env] NAME = "value"' }),
  agents: key.table<AgentConfig>({ trust: 'gated', validate: validateAgents, description: 'agent profiles: [agents.NAME] command = "…", optional hooks, resume and [agents.NAME.env]' }),
  hosts: key.table<HostConfig>({ trust: 'user-only', validate: validateHosts, description: 'machines reachable by ssh: [hosts.NAME] ssh = "…"' }),
};

type ValueOf<S> = S extends ScalarSpec<infer K> ? ScalarTypes[K] : S extends TableSpec<infer T> ? Record<string, T> : never;

/** The effective configuration: one field per key of CONFIG_KEYS. */
export type FleetConfig = { -readonly [K in keyof typeof CONFIG_KEYS]: ValueOf<(typeof CONFIG_KEYS)[K]> };

export type ConfigKey = keyof typeof CONFIG_KEYS;

/** A key's spec, or undefined for a name that is not a key. */
export function keySpec(name: string): KeySpec | undefined {
  return Object.hasOwn(CONFIG_KEYS, name) ? (CONFIG_KEYS as Record<string, KeySpec>)[name] : undefined;
}

/** The trust class of `value` for `name` as a repository file sets it. */
export function trustClassOf(spec: KeySpec, value: unknown, before: ConfigBefore): TrustClass {
  return typeof spec.trust === 'function' ? (spec.trust as (v: unknown, b: ConfigBefore) => TrustClass)(value, before) : spec.trust;
}

/**
 * default_agent picks a program: harmless only when it names one of the user's own profiles or a
 * built-in agent. Not the built-in shell: it runs its prompt with bash, and a prompt may be text
 * the repository or an issue's author wrote (--template, --issue).
 */
function defaultAgentTrust(value: string, before: ConfigBefore): TrustClass {
  // A profile of the user's own; not a built-in's env-only table, which still runs the built-in.
  const own = Object.hasOwn(before.agents, value) ? before.agents[value] : undefined;
  if (typeof own === 'object' && own !== null && (own as { command?: unknown }).command !== undefined) return 'harmless';
  return BUILTIN_NAMES.includes(value) && !agentFacts(value).runsPrompt ? 'harmless' : 'gated';
}

function nonEmpty(v: string): string | null {
  return v.trim() === '' ? 'a non-empty string' : null;
}

function tmuxPrefix(v: string): string | null {
  return /^[A-Za-z0-9_-]+$/.test(v) ? null : 'letters, digits, "_" or "-" only';
}

function range(min: number, max: number): (v: number) => string | null {
  return (v) => (v >= min && v <= max ? null : `a whole number from ${min} to ${max}`);
}

export function defaultConfig(home: string): FleetConfig {
  const config: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(CONFIG_KEYS as Record<string, KeySpec>)) {
    if (spec.type === 'table') config[name] = {};
    else config[name] = typeof spec.default === 'function' ? spec.default(home) : structuredClone(spec.default);
  }
  return config as FleetConfig;
}

export const DEFAULT_CONFIG_TEXT = (home: string) => `# fleet configuration (${home}/config.toml).
# Every key is optional; the commented values are the defaults.
# A .fleet.toml at a repository's root overrides any of these for that repository
# (keys that run programs or choose paths only once you trust it: fleet trust).
# Check a change with: fleet config show

# Agent profile used when --agent is not given: ${BUILTIN_NAMES.join(', ')},
# or one of your own [agents.NAME] below.
# default_agent = "claude"

# Where worktrees are made: <worktree_root>/<repo-name>/<branch>.
# A relative path is relative to this file's directory.
# worktree_root = "${home}/worktrees"

# Prefix of every tmux session fleet owns.
# tmux_prefix = "fleet_"

# Files (paths or globs, relative to the repository root) copied into each new worktree,
# keeping their mode. Usually git-ignored files such as .env.
# credential_files = [".env", "config/*.local.json"]

# Shell commands run, in order, inside each new worktree before its agent starts.
# setup_commands = ["npm ci"]

# How many agents fanout/multi set up at once.
# max_parallel = 4

# Extra flags for the claude profile.
# claude_flags = "--model sonnet"

# Seconds without output before a live agent shows as idle in fleet list.
# idle_seconds = 30

# The check fleet compare runs in each worktree of a batch.
# compare_command = "npm test"

# A shell command run on every change of an agent into waiting, done or exited, with
# FLEET_BRANCH, FLEET_STATUS, FLEET_REASON, FLEET_REPO and FLEET_SESSION set (fleet also shows
# a tmux message to attached clients). Applies to agents started after the change.
# notify_command = 'notify-send "fleet: $FLEET_BRANCH $FLEET_STATUS" "$FLEET_REASON"'
# USD each new agent may spend before fleet list says it is over budget and tells you once
# (--budget on create/fanout/multi sets it per agent; 0: no budget).
# budget_usd = 5.0

# Prices (USD per million tokens) for a model the built-in table lacks, or to correct one.
# [pricing."my-model-id"]
# input = 3.0
# output = 15.0
# cache_read = 0.3
# cache_write = 3.75

# Environment variables every agent gets (added to, or replacing, your shell's).
# [env]
# HTTP_PROXY = "http://proxy.example.com:3128"

# Your own agent profiles. The prompt is passed as one argument: in place of {prompt},
# or appended last when the command has no {prompt}. A profile named like a built-in replaces it.
# [agents.mytool]
# command = "mytool --yes {prompt}"
# [agents.mytool.env]
# MYTOOL_MODEL = "large"
# A profile that runs claude, codex, gemini or opencode keeps their statuses (working,
# waiting, done) and fleet revive when it says which one it is, and how it resumes:
# [agents.claude-opus]
# command = "claude --model opus"
# hooks = "claude"                 # claude, codex, gemini, opencode, or "none"
# resume = "claude --model opus --resume {conversation}"

# Machines fleet can run agents on over ssh (only here, never in a repository's .fleet.toml).
# ssh is the whole ssh command line, or just user@host / an ~/.ssh/config alias.
# Check one with: fleet doctor --host build1
# [hosts.build1]
# ssh = "ssh -p 2222 me@build1.example.com"
# repo_path = "~/.ai_fleet/repos/myrepo"    # default: ~/.ai_fleet/repos/<repo-name> on that host
# max_agents = 8
`;

/** `[pricing."model-id"]` as a table key (core/usage/pricing-config.ts checks each entry). */
function validatePricingTable(raw: unknown, file: string): TableEntries<ModelPrice> {
  const { pricing, warnings } = validatePricing(raw, file);
  return { entries: pricing, warnings };
}
