/**
 * gemini reads hooks only from settings files and extensions under its home (~/.gemini), from a
 * workspace .gemini/ (a file in the worktree), or from system settings files that must be owned
 * by root. GEMINI_CLI_HOME moves its home, and fleet points it at a directory of its own that is
 * the user's ~/.gemini in all but two entries:
 *
 *   <fleet home>/agent-homes/gemini/.gemini/
 *     <every entry of ~/.gemini>   a symbolic link to it: settings, credentials, sessions (tmp/),
 *                                  history, … are the user's own files, read and written in place
 *     projects.json                gemini's own list of project directories, kept apart: gemini
 *                                  replaces it by rename (which would turn the link into a copy),
 *                                  and fleet's worktrees need not crowd the user's list
 *     extensions/                  links to the user's extensions, plus fleet-status/, whose
 *                                  hooks/hooks.json runs fleet's hook script (extension hooks are
 *                                  loaded even before a folder is trusted)
 *   <fleet home>/agent-homes/gemini/.agents -> ~/.agents
 *
 * gemini also saves trustedFolders.json by rename, so agents get GEMINI_CLI_TRUSTED_FOLDERS_PATH
 * pointing at the user's own file: a folder trusted from a fleet agent is trusted for the user.
 * Nothing is written into ~/.gemini by fleet. Links are checked again at every start, so a file
 * gemini replaced in the fleet home goes back to being the user's (the user's wins).
 */
import fs from 'node:fs';
import path from 'node:path';
import { homeDir } from '../config/paths.js';
import { geminiHooksJson } from './agents.js';

/** The directory gemini keeps its .gemini in for this user (GEMINI_CLI_HOME when the user set one). */
export function geminiUserHome(env: NodeJS.ProcessEnv): string {
  return env.GEMINI_CLI_HOME || homeDir(env);
}

/** The name of fleet's extension (gemini refuses two extensions of one name). */
export const GEMINI_EXTENSION = 'fleet-status';

/** Entries of ~/.gemini that stay fleet's own in the fleet home. */
const OWN = new Set(['projects.json', 'projects.json.lock', 'extensions']);

/** Make `link` a symbolic link to `target` (atomically replacing whatever is there). */
function ensureLink(link: string, target: string): void {
  try {
    if (fs.readlinkSync(link) === target) return;
  } catch {
    // missing, or not a link
  }
  const tmp = `${link}.fleet-${process.pid}-${Math.random().toString(36).slice(2)}`;
  fs.symlinkSync(target, tmp);
  try {
    fs.renameSync(tmp, link);
  } catch (e) {
    // A directory gemini made here (rename cannot replace it): leave it, it is gemini's.
    fs.rmSync(tmp, { force: true });
    if ((e as NodeJS.ErrnoException).code !== 'EISDIR' && (e as NodeJS.ErrnoException).code !== 'ENOTEMPTY') throw e;
  }
}

/** Links in `dir` whose target is gone (the user removed the entry) are dropped. */
function dropDeadLinks(dir: string, keep: (name: string) => boolean): void {
  for (const name of fs.readdirSync(dir)) {
    if (keep(name)) continue;
    const p = path.join(dir, name);
    if (fs.lstatSync(p).isSymbolicLink() && !fs.existsSync(p)) fs.rmSync(p, { force: true });
  }
}

function writeIfChanged(file: string, text: string): void {
  try {
    if (fs.readFileSync(file, 'utf8') === text) return;
  } catch {
    // not there yet
  }
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  fs.writeFileSync(tmp, text, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

export interface GeminiHome {
  /** GEMINI_CLI_HOME for the agent. */
  home: string;
  /** GEMINI_CLI_TRUSTED_FOLDERS_PATH for the agent: the user's own store. */
  trustedFolders: string;
}

/**
 * Build or refresh fleet's gemini home; null when the user has no ~/.gemini/settings.json yet
 * (gemini has never been set up here: its sign-in would land in fleet's directory, not the user's).
 */
export function ensureGeminiHome(fleetHome: string, env: NodeJS.ProcessEnv, script: string): GeminiHome | null {
  const userHome = geminiUserHome(env);
  const userGemini = path.join(userHome, '.gemini');
  if (!fs.existsSync(path.join(userGemini, 'settings.json'))) return null;
  const home = path.join(fleetHome, 'agent-homes', 'gemini');
  const dir = path.join(home, '.gemini');
  const ext = path.join(dir, 'extensions');
  const own = path.join(ext, GEMINI_EXTENSION);
  fs.mkdirSync(path.join(own, 'hooks'), { recursive: true, mode: 0o700 });

  const names = new Set(fs.readdirSync(userGemini));
  for (const name of names) {
    if (!OWN.has(name)) ensureLink(path.join(dir, name), path.join(userGemini, name));
  }
  dropDeadLinks(dir, (n) => OWN.has(n));

  const userExt = path.join(userGemini, 'extensions');
  const extNames = fs.existsSync(userExt) ? fs.readdirSync(userExt).filter((n) => n !== GEMINI_EXTENSION) : [];
  for (const name of extNames) ensureLink(path.join(ext, name), path.join(userExt, name));
  dropDeadLinks(ext, (n) => n === GEMINI_EXTENSION);

  writeIfChanged(path.join(own, 'gemini-extension.json'), `${JSON.stringify({ name: GEMINI_EXTENSION, version: '1.0.0', description: "fleet's status hooks: this agent's state in its tmux session" }, null, 2)}\n`);
  writeIfChanged(path.join(own, 'hooks', 'hooks.json'), `${geminiHooksJson(script)}\n`);

  const agents = path.join(userHome, '.agents');
  if (fs.existsSync(agents)) ensureLink(path.join(home, '.agents'), agents);
  return { home, trustedFolders: env.GEMINI_CLI_TRUSTED_FOLDERS_PATH || path.join(userGemini, 'trustedFolders.json') };
}
