import fs from 'node:fs';
import path from 'node:path';
import type { LaunchPlan } from '../core/profiles.js';

/**
 * tmux refuses command lines over ~16 KB ("command too long"), so a prompt cannot travel as a
 * tmux argument. It goes into a 0600 file instead; the pane runs this bash snippet, which reads
 * the file byte for byte (read -d '' keeps newlines and everything else), deletes it, puts the
 * prompt into its argv slot and execs the agent. The prompt is never parsed by a shell.
 */
export const LAUNCHER_SCRIPT = [
  'f=$1; i=$2; pre=$3; suf=$4; shift 4',
  `IFS= read -r -d '' p < "$f"; rm -f -- "$f"`,
  'a=("$@"); a[$i]="$pre$p$suf"',
  'exec "${a[@]}"',
].join('\n');

/** The argv tmux runs: env (PATH as fleet sees it, FLEET_* for the agent) → bash launcher → agent. */
export function launcherArgv(plan: LaunchPlan, promptFile: string, env: Record<string, string>): string[] {
  const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return [
    'env', ...envArgs,
    'bash', '-c', LAUNCHER_SCRIPT, 'fleet-launch',
    promptFile, String(plan.promptIndex), plan.prefix, plan.suffix,
    ...plan.argv,
  ];
}

/** Write the prompt where only this user can read it; the launcher deletes it. */
export function writePromptFile(home: string, session: string, prompt: string): string {
  const dir = path.join(home, 'run');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `${session}-${process.pid}-${Math.random().toString(36).slice(2, 8)}.prompt`);
  fs.writeFileSync(file, prompt, { mode: 0o600 });
  return file;
}
