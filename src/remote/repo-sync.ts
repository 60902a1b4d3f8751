import { FleetError } from '../errors.js';
import { CommandError, type Runner } from '../process/runner.js';
import { HostUnreachableError, type RemoteHost } from './remote-runner.js';
import { gitSshCommand, gitUrl, type ConnectionPolicy } from './ssh-command.js';

/**
 * Moving commits between the local repository and a host's clone, with git's own protocol over
 * the host's ssh command (GIT_SSH_COMMAND with the same options and control master): the host
 * never needs to reach the user's origin, and git sends only the objects the other side lacks.
 *
 * Refs fleet owns, never a user's branch:
 *   on the host   refs/fleet/base/<commit>             the commits agents start from (pushed)
 *                 refs/fleet/work/<branch>             snapshot of an agent's uncommitted work
 *   locally       refs/fleet/remote/<host>/<branch>      the agent's branch, fetched back
 *                 refs/fleet/remote-work/<host>/<branch> its uncommitted work (a commit whose
 *                                                        parent is the branch's HEAD), when any
 */
export const baseRef = (commit: string) => `refs/fleet/base/${commit}`;
export const workRef = (branch: string) => `refs/fleet/work/${branch}`;
export const localBranchRef = (host: string, branch: string) => `refs/fleet/remote/${host}/${branch}`;
export const localWorkRef = (host: string, branch: string) => `refs/fleet/remote-work/${host}/${branch}`;

/** Everything needed to talk git to one host. */
export interface RemoteGit {
  host: RemoteHost;
  policy: ConnectionPolicy;
  /** Runs on the host (remoteRunner). */
  remote: Runner;
  /** Runs here (the local runner): git push/fetch. */
  local: Runner;
}

export interface RemoteRepo {
  /** Absolute path on the host ("~/" expanded there). */
  path: string;
  /** True when this call made it. */
  created: boolean;
  /** The remote user's home directory (symlinks resolved). */
  home: string;
}

const ENSURE_SCRIPT = [
  'set -eu',
  // The clone holds the user's code: private, like everything under the local fleet home.
  'umask 077',
  // "~/x" is the remote user's home; any other path is taken as it is.
  'case $1 in "~") p=$HOME ;; "~/"*) p=$HOME/${1#"~/"} ;; *) p=$1 ;; esac',
  'created=0',
  // A bare repository (fleet's own) or a clone with .git: never a directory that merely sits
  // inside some other repository (a home directory under version control).
  'if ! { [ -f "$p/HEAD" ] && [ -d "$p/objects" ]; } && ! [ -e "$p/.git" ]; then',
  '  if [ -e "$p" ] && [ -n "$(ls -A -- "$p")" ]; then echo "fleet: $p exists and is not a git repository" >&2; exit 3; fi',
  '  mkdir -p -- "$p"',
  '  git init -q --bare -- "$p"',
  '  created=1',
  'fi',
  'has=0',
  'if [ -n "$2" ] && git -C "$p" cat-file -e "$2^{commit}" 2>/dev/null; then has=1; fi',
  // The remote user's home, symlinks resolved: where fleet puts worktrees and launch files there.
  'printf "%s\\n%s\\n%s\\n%s\\n" "$(cd -- "$p" && pwd -P)" "$created" "$has" "$(cd && pwd -P)"',
].join('\n');

/**
 * Make sure the host has a repository at `repoPath` (`git init --bare` there when missing: not
 * a clone, so the host never needs the user's origin) and push `commit` to it when it lacks it.
 * One ssh call when the host already has the commit, plus one push when it does not.
 */
export async function syncBase(g: RemoteGit, opts: { localRepo: string; repoPath: string; commit: string }): Promise<RemoteRepo & { pushed: boolean }> {
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(opts.commit)) throw new Error(`syncBase: not a full commit id: "${opts.commit}"`);
  const r = await g.remote('sh', ['-c', ENSURE_SCRIPT, 'fleet-ensure', opts.repoPath, opts.commit], { reject: false });
  if (r.exitCode !== 0) {
    throw new FleetError(`could not prepare the repository on host "${g.host.name}": ${lastLine(r.stderr) || `exit ${r.exitCode}`}`, {
      hint: r.exitCode === 3 ? `set another repo_path for [hosts.${g.host.name}], or move that directory away` : `fleet doctor --host ${g.host.name}`,
    });
  }
  const [path, created, has, home] = r.stdout.split('\n');
  if (!path?.startsWith('/') || !home?.startsWith('/')) {
    throw new FleetError(`host "${g.host.name}" gave an unexpected answer while preparing the repository: ${JSON.stringify(r.stdout)}`);
  }
  if (has === '1') return { path, created: created === '1', pushed: false, home };
  await gitOverSsh(g, opts.localRepo, ['push', '--quiet', gitUrl(g.host.target, path), `${opts.commit}:${baseRef(opts.commit)}`]);
  return { path, created: created === '1', pushed: true, home };
}

const SNAPSHOT_SCRIPT = [
  'set -eu',
  'cd -- "$1"; branch=$2; shift 2',
  'head=$(git rev-parse --verify -q HEAD) || { echo "fleet: $PWD has no commit" >&2; exit 3; }',
  // A temporary index beside the worktree's own: `git add -A` there sees every change and
  // untracked file (ignored ones stay out) while the agent's index and files stay untouched.
  'gd=$(git rev-parse --absolute-git-dir)',
  'idx=$gd/fleet-snapshot-index.$$',
  'trap \'rm -f -- "$idx" "$idx.lock"\' EXIT',
  'if [ -f "$gd/index" ]; then cp -- "$gd/index" "$idx"; fi',
  'export GIT_INDEX_FILE="$idx"',
  'git add -A',
  // Files fleet copied in (credentials) are not the agent's work.
  'if [ $# -gt 0 ]; then GIT_LITERAL_PATHSPECS=1 git rm -q -r --cached --ignore-unmatch -- "$@" >/dev/null; fi',
  'tree=$(git write-tree)',
  'if [ "$tree" = "$(git rev-parse "$head^{tree}")" ]; then',
  '  git update-ref -d "refs/fleet/work/$branch" 2>/dev/null || true',
  '  snap=',
  'else',
  '  snap=$(GIT_AUTHOR_NAME=fleet GIT_AUTHOR_EMAIL=fleet@localhost GIT_COMMITTER_NAME=fleet GIT_COMMITTER_EMAIL=fleet@localhost \\',
  '    git commit-tree "$tree" -p "$head" -m "fleet: uncommitted work of $branch")',
  '  git update-ref "refs/fleet/work/$branch" "$snap"',
  'fi',
  'printf "%s\\n%s\\n" "$head" "$snap"',
].join('\n');

/**
 * Snapshot an agent's uncommitted work on the host as a commit (parent: the worktree's HEAD)
 * at refs/fleet/work/<branch>, without touching its files or index. `exclude`: paths (relative
 * to the worktree) left out, such as copied credential files. One ssh call.
 */
export async function snapshotRemoteWork(g: RemoteGit, opts: { worktree: string; branch: string; exclude?: readonly string[] }): Promise<{ head: string; snapshot: string | null }> {
  const r = await g.remote('sh', ['-c', SNAPSHOT_SCRIPT, 'fleet-snapshot', opts.worktree, opts.branch, ...(opts.exclude ?? [])], { reject: false });
  if (r.exitCode !== 0) {
    throw new FleetError(`could not read the work of "${opts.branch}" on host "${g.host.name}": ${lastLine(r.stderr) || `exit ${r.exitCode}`}`);
  }
  const [head, snap] = r.stdout.split('\n');
  return { head: head!, snapshot: snap ? snap : null };
}

/**
 * Bring an agent's branch and its uncommitted work from the host into the local repository:
 * refs/fleet/remote/<host>/<branch> and (when there is uncommitted work) refs/fleet/remote-work/
 * <host>/<branch>. diff and pick then work on local refs with the local rules. Two ssh
 * calls: the snapshot, then one fetch of both refs.
 */
export async function fetchAgentWork(
  g: RemoteGit,
  opts: { localRepo: string; repoPath: string; worktree: string; branch: string; exclude?: readonly string[] },
): Promise<{ branchRef: string; branchCommit: string; workRef: string | null; workCommit: string | null }> {
  const snap = await snapshotRemoteWork(g, opts);
  const bRef = localBranchRef(g.host.name, opts.branch);
  const wRef = localWorkRef(g.host.name, opts.branch);
  const specs = [`+refs/heads/${opts.branch}:${bRef}`];
  if (snap.snapshot) specs.push(`+${workRef(opts.branch)}:${wRef}`);
  await gitOverSsh(g, opts.localRepo, ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', gitUrl(g.host.target, opts.repoPath), ...specs]);
  if (!snap.snapshot) await g.local('git', ['update-ref', '-d', wRef], { cwd: opts.localRepo, reject: false });
  const commitOf = async (ref: string) => (await g.local('git', ['rev-parse', '--verify', `${ref}^{commit}`], { cwd: opts.localRepo })).stdout.trim();
  return {
    branchRef: bRef,
    branchCommit: await commitOf(bRef),
    workRef: snap.snapshot ? wRef : null,
    workCommit: snap.snapshot ? await commitOf(wRef) : null,
  };
}

/**
 * Run a local git command that talks to the host. Its ssh is the host's, with fleet's
 * connection sharing; git's "ssh" variant is named so git does not probe an unknown program
 * with -G. A failure of ssh itself reads like the runner's (ssh's message + doctor hint).
 */
async function gitOverSsh(g: RemoteGit, localRepo: string, args: string[]): Promise<void> {
  const env = {
    GIT_SSH_COMMAND: gitSshCommand(g.host.target, g.policy),
    GIT_SSH_VARIANT: 'ssh',
    GIT_TERMINAL_PROMPT: '0',
  };
  try {
    // The user's hooks (pre-push, reference-transaction) are for their own pushes and fetches,
    // not for fleet moving commits into its own refs.
    await g.local('git', ['-c', 'core.hooksPath=/dev/null', ...args], { cwd: localRepo, env });
  } catch (e) {
    if (!(e instanceof CommandError)) throw e;
    const err = e.result.stderr;
    const missing = /git-(receive|upload)-pack: (command )?not found|command not found: git-(receive|upload)-pack/.exec(err);
    if (missing) {
      throw new FleetError(`git not found on host "${g.host.name}"`, {
        hint: `install it there: sudo apt-get install git (Debian/Ubuntu), brew install git (macOS); fleet doctor --host ${g.host.name}`,
      });
    }
    if (/Could not read from remote repository|unexpected disconnect|the remote end hung up/i.test(err)) {
      const sshLine = err.split('\n').map((l) => l.trim()).find((l) => l !== '' && !/^fatal: (Could not read|the remote end)|^Please make sure|^and the repository exists/i.test(l));
      throw new HostUnreachableError(g.host.name, sshLine ?? lastLine(err), `check it with: fleet doctor --host ${g.host.name}`);
    }
    throw new FleetError(`git ${args[0]} to host "${g.host.name}" failed: ${lastLine(err) || `exit ${e.result.exitCode}`}`, { cause: e });
  }
}

function lastLine(s: string): string {
  const lines = s.split('\n').map((l) => l.trim()).filter(Boolean);
  return (lines[lines.length - 1] ?? '').replace(/^fleet: /, '');
}
