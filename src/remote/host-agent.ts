/**
 * The steps of an agent's life that touch the file system or the process table, done on its
 * host: each one ssh call through the host's runner, each the remote twin of a local step
 * (git/worktrees.ts, git/copy-files.ts, tmux/launcher.ts, ops/end-agent.ts, git/status.ts).
 */
import { FleetError } from '../errors.js';
import { credentialFiles, refusedWarning } from '../git/copy-files.js';
import { commitsOnNoBranch, parseUnsavedStatus, UNSAVED_STATUS_ARGS, type UnsavedWork } from '../git/status.js';
import { withLockRetry } from '../git/repo.js';
import { addBranchWorktree } from '../git/worktrees.js';
import { CommandError } from '../process/runner.js';
import { launchFileContent } from '../tmux/launcher.js';
import type { HostPlace } from './host-place.js';
import { baseRef } from './repo-sync.js';
import { writeRemoteFile, WRITE_REFUSED } from './remote-runner.js';

/** Where fleet keeps worktrees on a host: under the remote user's home, as locally under the fleet home. */
export function hostWorktreeRoot(home: string): string {
  return `${home}/.ai_fleet/worktrees`;
}

export function hostWorktreePath(home: string, repoName: string, branch: string): string {
  return `${hostWorktreeRoot(home)}/${repoName}/${branch}`;
}

/** The remote user's home, from a worktree path made by hostWorktreePath. */
export function hostHomeOf(worktree: string): string {
  return rootOf(worktree).slice(0, -'/.ai_fleet/worktrees'.length);
}

/** The root of a worktree path made by hostWorktreePath (for removal's check). */
function rootOf(worktree: string): string {
  const i = worktree.indexOf('/.ai_fleet/worktrees/');
  if (i < 0) throw new FleetError(`refusing to remove ${worktree}: it is not under ~/.ai_fleet/worktrees on its host`);
  return worktree.slice(0, i) + '/.ai_fleet/worktrees';
}

/** `git worktree add` in the host's clone, on a new branch from the pushed base commit. */
export async function addHostWorktree(p: HostPlace, repoPath: string, opts: { dir: string; branch: string; commit: string }): Promise<void> {
  await withLockRetry(async () => {
    try {
      await addBranchWorktree(p.run, repoPath, { dir: opts.dir, branch: opts.branch, start: baseRef(opts.commit) });
    } catch (e) {
      // A git that failed half-way (a parallel add's race) may have made the branch or the
      // directory: undo them (preflight saw neither, and the claim keeps others off) before a retry.
      if (!(e instanceof CommandError && /already exists/i.test(e.result.stderr))) {
        await p.run('sh', ['-c', UNDO_ADD_SCRIPT, 'fleet-undo-add', repoPath, opts.dir, opts.branch], { reject: false }).catch(() => undefined);
      }
      throw e;
    }
  }, 10);
}

const UNDO_ADD_SCRIPT = [
  'repo=$1; wt=$2; branch=$3',
  'git -C "$repo" worktree remove --force --force -- "$wt" >/dev/null 2>&1',
  'rm -rf -- "$wt"',
  'git -C "$repo" worktree prune >/dev/null 2>&1',
  'git -C "$repo" branch -D -- "$branch" >/dev/null 2>&1',
  'exit 0',
].join('\n');

const REMOVE_SCRIPT = [
  'set -u',
  'repo=$1; wt=$2; root=$3; branch=$4; delbranch=$5',
  'case $wt in "$root"/*) ;; *) echo "fleet: refusing to remove $wt: it is outside $root" >&2; exit 3;; esac',
  'if [ -e "$wt" ]; then git -C "$repo" worktree remove --force --force -- "$wt" 2>/dev/null || rm -rf -- "$wt"; fi',
  'git -C "$repo" worktree prune',
  'd=$(dirname -- "$wt"); while [ "$d" != "$root" ] && rmdir -- "$d" 2>/dev/null; do d=$(dirname -- "$d"); done',
  'git -C "$repo" update-ref -d "refs/fleet/work/$branch" 2>/dev/null',
  'if [ -n "$delbranch" ]; then git -C "$repo" branch -D -- "$branch" >/dev/null 2>&1; fi',
  'exit 0',
].join('\n');

/**
 * Remove an agent's worktree on its host (only under ~/.ai_fleet/worktrees there), its
 * snapshot ref, and (deleteBranch) its branch in the host's clone. One call.
 */
export async function removeHostWorktree(p: HostPlace, repoPath: string, worktree: string, branch: string, opts: { deleteBranch: boolean }): Promise<void> {
  await p.run('sh', ['-c', REMOVE_SCRIPT, 'fleet-remove', repoPath, worktree, rootOf(worktree), branch, opts.deleteBranch ? '1' : '']);
}

/**
 * The remote end of ops/end-agent.ts endAgentProcesses, in one call: the session's process
 * trees (found before the session goes) and every process of the remote user whose working
 * directory is in the worktree; kill-session, SIGTERM, up to 3 s grace, SIGKILL, then a last look
 * for what was forked meanwhile. Never the script itself or the tmux server.
 */
const END_SCRIPT = [
  's=$1; wt=$2; me=$$',
  'roots=; ttys=',
  'if [ -n "$s" ]; then',
  '  roots=$(tmux list-panes -s -t "=$s" -F "#{pane_dead} #{pane_pid}" 2>/dev/null | awk \'$1==0{print $2}\')',
  '  ttys=$(tmux list-panes -s -t "=$s" -F "#{pane_tty}" 2>/dev/null | sed "s|^/dev/||" | tr "\\n" " ")',
  'fi',
  'server=$(tmux display-message -p "#{pid}" 2>/dev/null)',
  'victims() {',
  '  ps -A -o pid=,ppid= | awk -v roots="$roots" -v me="$me" -v server="$server" \'',
  '    BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) keep[r[i]] = 1 }',
  '    { pp[$1] = $2; pid[NR] = $1 }',
  '    END { c = 1; while (c) { c = 0; for (i in pid) { p = pid[i]; if (!(p in keep) && (pp[p] in keep)) { keep[p] = 1; c = 1 } } }',
  '          for (p in keep) if (p != me && p != server) print p }\'',
  '  if [ -n "$wt" ] && [ -d /proc/self ]; then',
  '    for d in /proc/[0-9]*; do',
  '      c=$(readlink "$d/cwd" 2>/dev/null) || continue',
  '      p=${d#/proc/}',
  '      case $c in "$wt"|"$wt"/*) ;; *) continue;; esac',
  '      [ "$p" != "$me" ] && [ "$p" != "$server" ] || continue',
  // On another terminal than the agent's (the user's shell or editor, over ssh): theirs, left alone.
  '      t=$(ps -o tty= -p "$p" 2>/dev/null | tr -d " ")',
  '      case $t in ""|"?") ;; *) case " $ttys " in *" $t "*) ;; *) continue;; esac;; esac',
  '      echo "$p"',
  '    done',
  '  fi',
  '}',
  'alive() { for p in "$@"; do kill -0 "$p" 2>/dev/null && printf "%s " "$p"; done; }',
  'v=$(victims | sort -u)',
  'killed=0',
  'if [ -n "$s" ] && tmux kill-session -t "=$s" 2>/dev/null; then killed=1; fi',
  'if [ -n "$v" ]; then',
  '  kill -TERM $v 2>/dev/null',
  '  i=0; while [ $i -lt 30 ] && [ -n "$(alive $v)" ]; do sleep 0.1; i=$((i+1)); done',
  '  left=$(alive $v); [ -n "$left" ] && kill -KILL $left 2>/dev/null',
  'fi',
  'roots=',
  'v2=$(victims | sort -u)',
  'if [ -n "$v2" ]; then kill -KILL $v2 2>/dev/null; sleep 0.2; fi',
  'all=$(printf "%s\\n%s\\n" "$v" "$v2" | sort -u | grep . | tr "\\n" " ")',
  'printf "%s\\n%s\\n" "$killed" "$(alive $all)"',
].join('\n');

export interface HostEndResult {
  sessionKilled: boolean;
  /** pids still alive after SIGKILL (uninterruptible). */
  left: number[];
}

export async function endHostProcesses(p: HostPlace, target: { session: string | null; worktree: string | null }): Promise<HostEndResult> {
  const r = await p.run('sh', ['-c', END_SCRIPT, 'fleet-end', target.session ?? '', target.worktree ?? '']);
  const [killed, left = ''] = r.stdout.split('\n');
  return { sessionKilled: killed === '1', left: left.split(/\s+/).filter(Boolean).map(Number) };
}

/** Copy credential files from the local repository into the worktree on the host (copy-files.ts rules; a link the branch put in the way is refused). */
export async function copyHostFiles(p: HostPlace, localRepo: string, worktree: string, patterns: readonly string[]): Promise<{ copied: string[]; notes: string[]; warnings: string[] }> {
  const { files, notes } = credentialFiles(localRepo, patterns);
  const out = { copied: [] as string[], notes, warnings: [] as string[] };
  for (const f of files) {
    try {
      await writeRemoteFile(p.run, `${worktree}/${f.rel}`, f.data, { mode: f.mode, within: worktree, refuseLink: true });
      out.copied.push(f.rel);
    } catch (e) {
      if (!(e instanceof CommandError && e.result.exitCode === WRITE_REFUSED)) throw e;
      const why = e.result.stderr.trim().split('\n').pop()!.replace(/^fleet: /, '').replace(/; not .*$/, '');
      out.warnings.push(refusedWarning(f.rel, why));
    }
  }
  return out;
}

/** Write the launch file (tmux/launcher.ts) on the host, 0600, through ssh's stdin; returns its path there. */
export async function writeHostLaunchFile(p: HostPlace, home: string, session: string, env: Readonly<Record<string, string>>, prompt: string): Promise<string> {
  const { randomBytes } = await import('node:crypto');
  const file = `${home}/.ai_fleet/run/${session}-${randomBytes(6).toString('hex')}.prompt`;
  await writeRemoteFile(p.run, file, launchFileContent(env, prompt), { mode: 0o600 });
  return file;
}

/**
 * fleet's hook script (hooks/hook-script.ts) in the host's fleet home, `~/.ai_fleet/hooks/` (0700),
 * written through ssh's stdin when it is missing or different; its path there. A link at the file
 * or at a directory on the way is refused, as for credential files.
 */
export async function ensureHostHookScript(p: HostPlace, home: string): Promise<string> {
  const { HOOK_SCRIPT, hostHookScriptPath } = await import('../hooks/hook-script.js');
  const fleetHome = `${home}/.ai_fleet`;
  const file = hostHookScriptPath(home);
  try {
    await writeRemoteFile(p.run, file, HOOK_SCRIPT, { mode: 0o600, within: fleetHome, refuseLink: true, unlessSame: true });
  } catch (e) {
    if (!(e instanceof CommandError && e.result.exitCode === WRITE_REFUSED)) throw e;
    const why = e.result.stderr.trim().split('\n').pop()!.replace(/^fleet: /, '');
    throw new FleetError(`cannot install fleet's hook script on host "${p.name}": ${why}`, {
      hint: `remove what is in the way there (ssh to the host; ${fleetHome}/hooks must be a directory of fleet's), then try again`,
    });
  }
  return file;
}

export async function removeHostFile(p: HostPlace, file: string): Promise<void> {
  await p.run('rm', ['-f', '--', file], { reject: false });
}

/** What removing the worktree on the host would lose (git/status.ts unsavedWork, read there). */
export async function hostUnsavedWork(p: HostPlace, worktree: string, copied: readonly string[]): Promise<UnsavedWork> {
  const r = await p.run('sh', ['-c', 'cd -- "$1" 2>/dev/null || exit 4; shift; exec git "$@"', 'fleet-status', worktree, ...UNSAVED_STATUS_ARGS], { reject: false });
  if (r.exitCode === 4) return { changes: [], commits: [] };
  if (r.exitCode !== 0) throw new FleetError(`git status failed on host "${p.name}" in ${worktree}: ${r.stderr.trim()}`);
  const { changes, detached } = parseUnsavedStatus(r.stdout, copied);
  const commits = detached ? await commitsOnNoBranch(p.run, worktree, 'HEAD') : [];
  return { changes, commits };
}
