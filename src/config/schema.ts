import { BUILTIN_NAMES } from '../core/profiles.js';
import type { HostConfig } from './hosts.js';

export interface FleetConfig {
  default_agent: string;
  worktree_root: string;
  tmux_prefix: string;
  credential_files: string[];
  setup_commands: string[];
  max_parallel: number;
  claude_flags: string;
  /** Seconds without output before an alive agent counts as idle. */
  idle_seconds: number;
  agents: Record<string, { command: string | string[]; env?: Record<string, string> }>;
  /** `[env]`: variables every agent gets (added to or overriding the caller's environment). */
  env: Record<string, string>;
  /** `[hosts.NAME]`: machines reachable by ssh (user config only). */
  hosts: Record<string, HostConfig>;
}

type KeyType = 'string' | 'string[]' | 'int';

interface KeySpec {
  type: KeyType;
  description: string;
  /** Extra check beyond the type; returns the expectation when it fails. */
  check?: (v: unknown) => string | null;
}

export const CONFIG_KEYS: Record<Exclude<keyof FleetConfig, 'agents' | 'hosts' | 'env'>, KeySpec> = {
  default_agent: { type: 'string', description: 'agent profile used when --agent is not given', check: nonEmpty },
  worktree_root: { type: 'string', description: 'where worktrees are made (~ expanded)', check: nonEmpty },
  tmux_prefix: {
    type: 'string',
    description: 'prefix of every tmux session fleet owns',
    check: (v) => (/^[A-Za-z0-9_-]+$/.test(String(v)) ? null : 'letters, digits, "_" or "-" only'),
  },
  credential_files: { type: 'string[]', description: 'paths or globs copied (mode kept) into each new worktree' },
  setup_commands: { type: 'string[]', description: 'shell commands run in each new worktree before its agent starts' },
  max_parallel: {
    type: 'int',
    description: 'how many agents fanout/multi set up at once',
    check: (v) => ((v as number) >= 1 && (v as number) <= 64 ? null : 'a whole number from 1 to 64'),
  },
  claude_flags: { type: 'string', description: 'extra flags for the claude profile' },
  idle_seconds: {
    type: 'int',
    description: 'seconds without output before a live agent shows as idle',
    check: (v) => ((v as number) >= 1 ? null : 'a whole number of seconds, at least 1'),
  },
};

function nonEmpty(v: unknown): string | null {
  return String(v).trim() === '' ? 'a non-empty string' : null;
}

export function defaultConfig(home: string): FleetConfig {
  return {
    default_agent: 'claude',
    worktree_root: `${home}/worktrees`,
    tmux_prefix: 'fleet_',
    credential_files: [],
    setup_commands: [],
    max_parallel: 4,
    claude_flags: '',
    idle_seconds: 30,
    agents: {},
    hosts: {},
    env: {},
  };
}

export const DEFAULT_CONFIG_TEXT = (home: string) => `# fleet configuration (${home}/config.toml).
# Every key is optional; the commented values are the defaults.
# A .fleet.toml at a repository's root overrides any of these for that repository.
# Check a change with: fleet config show

# Agent profile used when --agent is not given: ${BUILTIN_NAMES.join(', ')},
# or one of your own [agents.NAME] below.
# default_agent = "claude"

# Where worktrees are made: <worktree_root>/<repo-name>/<branch>.
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

# Your own agent profiles. The prompt is passed as one argument: in place of {prompt},
# or appended last when the command has no {prompt}. A profile named like a built-in replaces it.
# [agents.mytool]
# command = "mytool --yes {prompt}"

# Machines fleet can run agents on over ssh (only here, never in a repository's .fleet.toml).
# ssh is the whole ssh command line, or just user@host / an ~/.ssh/config alias.
# Check one with: fleet doctor --host build1
# [hosts.build1]
# ssh = "ssh -p 2222 me@build1.example.com"
# repo_path = "~/.ai_fleet/repos/myrepo"    # default: ~/.ai_fleet/repos/<repo-name> on that host
# max_agents = 8
`;
