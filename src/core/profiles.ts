/**
 * Agent profiles: which agents fleet knows, the command line that starts each, and what else
 * fleet knows about each kind of agent. Everything agent-specific lives here. Pure.
 */
import { FleetError } from '../errors.js';
import { CONFIG_FILE } from '../config/paths.js';
import { splitCommandLine } from './shell-words.js';
import type { TranscriptKind } from './usage/parser.js';
import { isHookKind, type HookKind } from '../hooks/agents.js';

/** An agent profile, resolved: the argv that starts it; `{prompt}` marks where the prompt goes. */
export interface AgentProfile {
  name: string;
  argv: string[];
  builtin: boolean;
  /** How it reports working / waiting / done (src/hooks); null: its status comes from its output. */
  hooks: HookKind | null;
  /** A user profile's `resume` command line (`{conversation}` marks the id); null: derived from argv for a hooked kind. */
  resume: string[] | null;
  /**
   * Variables this agent gets on top of the caller's environment: `defaults` are fleet's (the
   * kind's AgentFacts.env, also when the user's config replaces a built-in's command), `own` the
   * user's `[agents.NAME.env]`. Config `[env]` goes between the two (see core/agent-env).
   */
  env: { defaults: Readonly<Record<string, string>>; own: Readonly<Record<string, string>> };
}

/** What fleet knows about a kind of agent beyond the command that starts it. */
export interface AgentFacts {
  /** How to install its program, shown when it is not on PATH. */
  install?: string;
  /** Milliseconds between pasting a prompt and pressing Enter, so its TUI does not fold the Enter into the paste. */
  enterDelayMs: number;
  /** How it reports working / waiting / done itself (SPEC "Agent awareness", src/hooks); unset: status from output activity. */
  hooks?: HookKind;
  /** The format of the transcript its token usage is read from (SPEC "Cost"); unset: it keeps none fleet can read. */
  transcript?: TranscriptKind;
  /**
   * Environment variables this kind of agent needs under fleet (e.g. DISABLE_AUTOUPDATER=1), on
   * top of the caller's environment; the user's [env] and [agents.NAME.env] override them.
   */
  env?: Readonly<Record<string, string>>;
  /** It runs its prompt as a program (shell): text someone else wrote (an issue, a template) becomes code. */
  runsPrompt?: boolean;
}

export const PROMPT_PLACEHOLDER = '{prompt}';

/** What an agent without facts of its own (a user's profile) gets. */
export const DEFAULT_FACTS: AgentFacts = { enterDelayMs: 120 };

/** The part of the config that profiles are made from. */
export interface ProfileConfig {
  claude_flags: string;
  /** A built-in's name may come without a command: it keeps the built-in's, with the entry's env. */
  agents: Record<string, { command?: string | string[]; env?: Record<string, string>; hooks?: string; resume?: string }>;
}

/** Where a user's `resume` command puts the conversation id. */
export const CONVERSATION_PLACEHOLDER = '{conversation}';

interface BuiltinProfile {
  name: string;
  /** The program it runs (argv[0]). */
  program: string;
  /** The arguments after the program; `{prompt}` marks where the prompt goes. */
  args: (config: ProfileConfig) => string[];
  facts: AgentFacts;
}

/**
 * Built-in profiles, in the order help and the default config list them. Each real agent takes
 * its first prompt its own way:
 *   claude "<prompt>"              interactive session that starts on the prompt
 *   codex "<prompt>"               same
 *   gemini -i "<prompt>"           --prompt-interactive: runs it, then stays interactive
 *   aider --message "<prompt>"     aider has no "start interactive with a prompt"; --message
 *                                  answers it and exits (the pane is kept, logs stay readable)
 *   opencode --prompt "<prompt>"   the TUI starts with the prompt
 *   shell                          runs the prompt itself with bash -c
 */
export const BUILTIN_PROFILES: readonly BuiltinProfile[] = [
  {
    name: 'claude',
    program: 'claude',
    args: (c) => [...splitCommandLine(c.claude_flags), PROMPT_PLACEHOLDER],
    // Each claude would otherwise run its auto-updater (an npm install -g) as it starts.
    facts: { install: 'npm install -g @anthropic-ai/claude-code', enterDelayMs: 120, transcript: 'claude', hooks: 'claude', env: { DISABLE_AUTOUPDATER: '1' } },
  },
  {
    name: 'codex',
    program: 'codex',
    args: () => [PROMPT_PLACEHOLDER],
    // codex reads an Enter within ~120 ms of typed text as a newline (its paste-burst rule): wait longer.
    facts: { install: 'npm install -g @openai/codex', enterDelayMs: 250, transcript: 'codex', hooks: 'codex' },
  },
  {
    name: 'gemini',
    program: 'gemini',
    args: () => ['--prompt-interactive', PROMPT_PLACEHOLDER],
    facts: { install: 'npm install -g @google/gemini-cli', enterDelayMs: 120, transcript: 'gemini', hooks: 'gemini' },
  },
  {
    name: 'aider',
    program: 'aider',
    args: () => ['--message', PROMPT_PLACEHOLDER],
    facts: { install: 'python -m pip install aider-install && aider-install', enterDelayMs: 120 },
  },
  {
    name: 'opencode',
    program: 'opencode',
    args: () => ['--prompt', PROMPT_PLACEHOLDER],
    facts: { install: 'npm install -g opencode-ai', enterDelayMs: 120, hooks: 'opencode', env: { OPENCODE_DISABLE_AUTOUPDATE: '1' } },
  },
  { name: 'shell', program: 'bash', args: () => ['-c', PROMPT_PLACEHOLDER], facts: { ...DEFAULT_FACTS, runsPrompt: true } },
];

export const BUILTIN_NAMES: readonly string[] = BUILTIN_PROFILES.map((p) => p.name);

/** The facts of the agent kind `name` (a built-in's, also when the user's config replaces its command), else DEFAULT_FACTS. */
export function agentFacts(name: string): AgentFacts {
  return BUILTIN_PROFILES.find((p) => p.name === name)?.facts ?? DEFAULT_FACTS;
}

/** How to install `program`, when it is the program of a built-in agent. */
export function installHintFor(program: string): string | undefined {
  return BUILTIN_PROFILES.find((p) => p.program === program)?.facts.install;
}

/** Resolve an agent profile by name: a user profile replaces a built-in of the same name. */
export function resolveProfile(config: ProfileConfig, name: string): AgentProfile {
  const user = config.agents[name];
  const env = { defaults: agentFacts(name).env ?? {}, own: user?.env ?? {} };
  if (user?.command !== undefined) {
    const argv = typeof user.command === 'string' ? splitCommandLine(user.command) : [...user.command];
    // A user profile replacing a built-in keeps its hooks unless it says `hooks = "none"`.
    const hooks = user.hooks === undefined ? (agentFacts(name).hooks ?? null) : isHookKind(user.hooks) ? user.hooks : null;
    return { name, argv, builtin: false, env, hooks, resume: user.resume ? splitCommandLine(user.resume) : null };
  }
  const builtin = BUILTIN_PROFILES.find((p) => p.name === name);
  if (!builtin) {
    throw new FleetError(`unknown agent profile "${name}"`, {
      hint: `use one of: ${profileNames(config).join(', ')} (or add [agents.${name}] command = "..." to ${CONFIG_FILE})`,
    });
  }
  return { name, argv: [builtin.program, ...builtin.args(config)], builtin: true, env, hooks: builtin.facts.hooks ?? null, resume: null };
}

/** Every profile name the config offers, built-in and the user's, sorted. */
export function profileNames(config: ProfileConfig): string[] {
  return [...new Set([...BUILTIN_NAMES, ...Object.keys(config.agents)])].sort();
}

/** Where the prompt goes in a profile's argv: the element holding `{prompt}`, or appended last. */
export interface LaunchPlan {
  argv: string[];
  /** Index of the argv element that receives the prompt. */
  promptIndex: number;
  /** Text around `{prompt}` inside that element (`--message={prompt}` → prefix "--message="). */
  prefix: string;
  suffix: string;
}

export function launchPlanFor(profileArgv: readonly string[]): LaunchPlan {
  const idx = profileArgv.findIndex((a) => a.includes(PROMPT_PLACEHOLDER));
  if (idx === -1) {
    return { argv: [...profileArgv, ''], promptIndex: profileArgv.length, prefix: '', suffix: '' };
  }
  const el = profileArgv[idx]!;
  const at = el.indexOf(PROMPT_PLACEHOLDER);
  return {
    argv: [...profileArgv],
    promptIndex: idx,
    prefix: el.slice(0, at),
    suffix: el.slice(at + PROMPT_PLACEHOLDER.length),
  };
}

/** `args` inserted into a launch plan's argv at `at`, the prompt's slot moved along. */
export function insertArgs(plan: LaunchPlan, at: number, args: readonly string[]): LaunchPlan {
  return {
    ...plan,
    argv: [...plan.argv.slice(0, at), ...args, ...plan.argv.slice(at)],
    promptIndex: plan.promptIndex >= at ? plan.promptIndex + args.length : plan.promptIndex,
  };
}

/** The argv the agent finally runs with, prompt in place (what the launcher reproduces). */
export function agentArgv(plan: LaunchPlan, prompt: string): string[] {
  const argv = [...plan.argv];
  argv[plan.promptIndex] = plan.prefix + prompt + plan.suffix;
  return argv;
}
