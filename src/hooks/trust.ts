/**
 * Does an agent CLI already trust a repository? Read from each CLI's own store, never written:
 * the user decides, in the CLI, once. Facts from the shipped CLIs:
 *
 * - claude 2.1.197: `${CLAUDE_CONFIG_DIR:-~/.claude}/.config.json` if it exists, else
 *   `${CLAUDE_CONFIG_DIR:-~}/.claude.json`; trusted when `projects[<main repo root>]`, or
 *   `projects[<the directory or any parent>]`, has `hasTrustDialogAccepted: true` (claude keys
 *   a worktree's trust by its main repository). Its first-run screens come before the trust dialog.
 * - codex 0.171.0: `${CODEX_HOME:-~/.codex}/config.toml`, `[projects."<main repo root>"]
 *   trust_level = "trusted"` (a worktree of a trusted repository does not ask).
 * - gemini 0.61.0: `${GEMINI_CLI_TRUSTED_FOLDERS_PATH:-~/.gemini/trustedFolders.json}`,
 *   `{path: TRUST_FOLDER | TRUST_PARENT | DO_NOT_TRUST}`, the longest matching rule wins. It asks
 *   again in every worktree, so fleet passes --skip-trust when the main repository is trusted.
 * - opencode: no trust dialog.
 */
import fs from 'node:fs';
import path from 'node:path';
import { homeDir } from '../config/paths.js';
import { shQuote as quote } from '../remote/shell-quote.js';
import type { HookKind } from './agents.js';
import { geminiUserHome } from './gemini-home.js';

/** Something the user should know before an agent starts, and the one command that settles it. */
export interface FirstRunNote {
  message: string;
  hint: string;
}

function readJson(file: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function real(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/** `p` and every directory above it. */
function selfAndParents(p: string): string[] {
  const out: string[] = [];
  for (let d = path.resolve(p); ; d = path.dirname(d)) {
    out.push(d);
    if (path.dirname(d) === d) return out;
  }
}

/** claude's global config file (the one that holds projects, onboarding and API-key answers). */
export function claudeConfigFile(env: NodeJS.ProcessEnv): string {
  const dir = env.CLAUDE_CONFIG_DIR || path.join(homeDir(env), '.claude');
  const legacy = path.join(dir, '.config.json');
  if (fs.existsSync(legacy)) return legacy;
  return path.join(env.CLAUDE_CONFIG_DIR || homeDir(env), '.claude.json');
}

export function claudeTrusts(config: Record<string, unknown>, repoRoot: string, worktree: string): boolean {
  const projects = (config.projects ?? {}) as Record<string, { hasTrustDialogAccepted?: unknown } | undefined>;
  const keys = new Set([repoRoot, real(repoRoot), ...selfAndParents(worktree), ...selfAndParents(real(path.dirname(worktree)))]);
  return [...keys].some((k) => projects[k]?.hasTrustDialogAccepted === true);
}

function claudeNotes(env: NodeJS.ProcessEnv, repoRoot: string, worktree: string): FirstRunNote[] {
  const file = claudeConfigFile(env);
  const config = readJson(file);
  const runOnce: FirstRunNote = {
    message: 'claude has not finished its first-run setup on this machine, so each agent would stop at it',
    hint: `run claude once in a terminal (cd ${quote(repoRoot)} && claude), answer its questions, then /exit`,
  };
  if (!config || config.hasCompletedOnboarding !== true) return [runOnce];
  const notes: FirstRunNote[] = [];
  if (!claudeTrusts(config, repoRoot, worktree)) {
    notes.push({
      message: `claude does not trust ${repoRoot} yet, so each claude agent will stop at its "trust this folder" dialog`,
      hint: `trust it once: cd ${quote(repoRoot)} && claude, answer "Yes, I trust this folder", then /exit (or answer in each agent: fleet attach BRANCH)`,
    });
  }
  const key = env.ANTHROPIC_API_KEY;
  if (key) {
    const answers = (config.customApiKeyResponses ?? {}) as { approved?: unknown; rejected?: unknown };
    const approved = Array.isArray(answers.approved) && answers.approved.includes(key.slice(-20));
    const rejected = Array.isArray(answers.rejected) && answers.rejected.includes(key.slice(-20));
    if (!approved && !rejected) {
      notes.push({
        message: 'claude will ask whether to use the ANTHROPIC_API_KEY in your environment (its default answer, No, is remembered)',
        hint: `answer it once: cd ${quote(repoRoot)} && claude, then /exit (or in the agent: fleet attach BRANCH)`,
      });
    }
  }
  return notes;
}

async function codexNotes(env: NodeJS.ProcessEnv, repoRoot: string): Promise<FirstRunNote[]> {
  const file = path.join(env.CODEX_HOME || path.join(homeDir(env), '.codex'), 'config.toml');
  let projects: Record<string, { trust_level?: unknown } | undefined> = {};
  try {
    const { parse } = await import('smol-toml');
    projects = (parse(fs.readFileSync(file, 'utf8')).projects ?? {}) as typeof projects;
  } catch {
    // no config (or one codex itself could not read): not trusted
  }
  const trusted = [repoRoot, real(repoRoot)].some((k) => projects[k]?.trust_level === 'trusted');
  if (trusted) return [];
  return [
    {
      message: `codex does not trust ${repoRoot} yet, so each codex agent will stop at its "folder access" dialog`,
      hint: `trust it once: cd ${quote(repoRoot)} && codex, choose "Trust and continue", then /quit (or answer in each agent: fleet attach BRANCH)`,
    },
  ];
}

/** gemini's store of trusted folders. */
export function geminiTrustedFoldersFile(env: NodeJS.ProcessEnv): string {
  return env.GEMINI_CLI_TRUSTED_FOLDERS_PATH || path.join(geminiUserHome(env), '.gemini', 'trustedFolders.json');
}

/** gemini's rule: the longest matching entry wins (TRUST_PARENT covers its parent directory). */
export function geminiTrusts(rules: Record<string, unknown>, location: string): boolean {
  const loc = real(location);
  let best = -1;
  let level: unknown;
  for (const [rule, value] of Object.entries(rules)) {
    const effective = real(value === 'TRUST_PARENT' ? path.dirname(rule) : rule);
    const inside = loc === effective || loc.startsWith(effective.endsWith(path.sep) ? effective : effective + path.sep);
    if (inside && rule.length > best) {
      best = rule.length;
      level = value;
    }
  }
  return level === 'TRUST_FOLDER' || level === 'TRUST_PARENT';
}

/** Does gemini trust the main repository (then fleet lets its worktrees in with --skip-trust)? */
export function geminiTrustsRepo(env: NodeJS.ProcessEnv, repoRoot: string): boolean {
  const settings = readJson(path.join(geminiUserHome(env), '.gemini', 'settings.json'));
  const security = (settings?.security ?? {}) as { folderTrust?: { enabled?: unknown } };
  if (security.folderTrust?.enabled === false) return true;
  return geminiTrusts(readJson(geminiTrustedFoldersFile(env)) ?? {}, repoRoot);
}

function geminiNotes(env: NodeJS.ProcessEnv, repoRoot: string): FirstRunNote[] {
  if (!fs.existsSync(path.join(geminiUserHome(env), '.gemini', 'settings.json'))) {
    return [
      {
        message: 'gemini has not been set up on this machine (no ~/.gemini/settings.json): each agent would stop at its sign-in, and fleet cannot follow its status',
        hint: `run gemini once in a terminal (cd ${quote(repoRoot)} && gemini), sign in, then /quit`,
      },
    ];
  }
  if (geminiTrustsRepo(env, repoRoot)) return [];
  return [
    {
      message: `gemini does not trust ${repoRoot} yet, so each gemini agent will stop at its "trust this folder" dialog`,
      hint: `trust it once: cd ${quote(repoRoot)} && gemini, choose "Trust folder", then /quit (fleet then starts its worktrees with --skip-trust)`,
    },
  ];
}

/** What would stop an agent of this kind at a dialog in this repository, read from its own files. */
export async function firstRunNotes(kind: HookKind, env: NodeJS.ProcessEnv, repoRoot: string, worktree: string): Promise<FirstRunNote[]> {
  switch (kind) {
    case 'claude':
      return claudeNotes(env, repoRoot, worktree);
    case 'codex':
      return codexNotes(env, repoRoot);
    case 'gemini':
      return geminiNotes(env, repoRoot);
    case 'opencode':
      return [];
  }
}
