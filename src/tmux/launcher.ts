import fs from 'node:fs';
import path from 'node:path';
import type { LaunchPlan } from '../core/profiles.js';
import { PANE_VARIABLES } from '../core/agent-env.js';

/**
 * How an agent is started. Neither its prompt nor its environment may travel on a command line:
 * tmux refuses command lines over ~16 KB ("command too long"), and any process's argv is visible
 * to every user in `ps` (an API key must not be). Both go into a 0600 file instead (the launch
 * file), and the pane runs this bash snippet on it:
 *
 *   launch file = ( NAME=VALUE NUL )*  NUL  prompt
 *
 * zero or more environment entries, each NUL-terminated (a value may hold newlines; no value or
 * name can hold a NUL), an empty entry that ends them, then the prompt's bytes up to the end of
 * the file. The snippet opens the file and deletes it at once, clears every exported variable
 * except the ones tmux set for this pane (TMUX, TMUX_PANE, TERM: the tmux server's own
 * environment may be days old and from another shell), exports each entry, reads the prompt
 * byte for byte (read -d '' keeps newlines and everything else), puts it into its argv slot and
 * execs the agent. Nothing in the file is ever parsed by a shell.
 */
export const LAUNCHER_SCRIPT = [
  'f=$1; i=$2; pre=$3; suf=$4; shift 4',
  'exec 3<"$f" || exit 127; rm -f -- "$f"',
  `for v in $(compgen -e); do case $v in ${PANE_VARIABLES.join('|')}) ;; *) unset "$v" 2>/dev/null ;; esac; done`,
  `while IFS= read -r -d '' kv <&3 && [ -n "$kv" ]; do export "$kv" 2>/dev/null; done`,
  `IFS= read -r -d '' p <&3; exec 3<&-`,
  'a=("$@"); a[$i]="$pre$p$suf"',
  'exec "${a[@]}"',
].join('\n');

/**
 * The launcher for an agent on a host: the same, except that it keeps the environment the
 * host's tmux server gives the pane. That is the host's own (its HOME, PATH, locale: what
 * `fleet doctor --host` checked), and this machine's environment means nothing there; the
 * launch file then carries only fleet's layers (FLEET_*, [env], the profile's).
 */
export const HOST_LAUNCHER_SCRIPT = LAUNCHER_SCRIPT.split('\n').filter((l) => !l.includes('compgen -e')).join('\n');

/** The argv tmux runs: the bash launcher reading `launchFile`, then the agent's argv (the prompt's slot filled in by the launcher). */
export function launcherArgv(plan: LaunchPlan, launchFile: string, opts: { keepEnv?: boolean } = {}): string[] {
  const script = opts.keepEnv ? HOST_LAUNCHER_SCRIPT : LAUNCHER_SCRIPT;
  return ['bash', '-c', script, 'fleet-launch', launchFile, String(plan.promptIndex), plan.prefix, plan.suffix, ...plan.argv];
}

/** The launch file's bytes: environment entries, the empty entry that ends them, the prompt. */
export function launchFileContent(env: Readonly<Record<string, string>>, prompt: string): Buffer {
  const entries = Object.entries(env).map(([k, v]) => `${k}=${v}\0`);
  return Buffer.from(`${entries.join('')}\0${prompt}`, 'utf8');
}

/** Write the launch file where only this user can read it; the launcher deletes it as it starts. */
export function writeLaunchFile(home: string, session: string, env: Readonly<Record<string, string>>, prompt: string): string {
  const dir = path.join(home, 'run');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `${session}-${process.pid}-${Math.random().toString(36).slice(2, 8)}.prompt`);
  fs.writeFileSync(file, launchFileContent(env, prompt), { mode: 0o600, flag: 'wx' });
  return file;
}
