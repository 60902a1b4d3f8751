/**
 * What `fleet doctor` concludes from what a machine has: pure, so every rule and every fix
 * line is unit-tested without the machine. The facts come from PROBE_SCRIPT, run once locally
 * (sh) and once per host (one ssh call).
 */

/** One program as the probe found it. */
export interface ProgramFact {
  path: string | null;
  /** The program's own version line (git, tmux, bash, ps only). */
  version: string | null;
}

export interface MachineFacts {
  programs: Record<string, ProgramFact>;
  /** uname -s: Linux, Darwin, … */
  os: string;
  /** The first package manager found. */
  packageManager: 'apt-get' | 'brew' | 'dnf' | 'yum' | 'apk' | 'pacman' | 'zypper' | null;
  /** Running as root: no sudo in the fix lines. */
  root: boolean;
}

/**
 * Prints `name<TAB>path<TAB>version` per program given as an argument (path empty when not
 * found), then the os, package manager and uid. POSIX sh only: it runs on hosts fleet knows
 * nothing about. Only the base tools are asked for a version; an agent's `--version` can take
 * seconds (node start-up, update checks), and being on PATH is what fleet needs.
 */
export const PROBE_SCRIPT = [
  'for n in "$@"; do',
  '  p=$(command -v -- "$n" 2>/dev/null) || p=',
  '  v=',
  '  if [ -n "$p" ]; then',
  '    case $n in',
  '      git) v=$(git --version 2>/dev/null) ;;',
  '      tmux) v=$(tmux -V 2>/dev/null) ;;',
  '      bash) v=$(bash --version 2>/dev/null | head -n 1) ;;',
  '      ps) v=$(ps --version 2>/dev/null | head -n 1) ;;',
  '    esac',
  '  fi',
  '  printf "prog\\t%s\\t%s\\t%s\\n" "$n" "$p" "$v"',
  'done',
  'printf "os\\t%s\\n" "$(uname -s 2>/dev/null)"',
  'pm=',
  'for m in apt-get brew dnf yum apk pacman zypper; do if command -v "$m" >/dev/null 2>&1; then pm=$m; break; fi; done',
  'printf "pm\\t%s\\n" "$pm"',
  'printf "uid\\t%s\\n" "$(id -u 2>/dev/null)"',
].join('\n');

export function parseProbe(out: string): MachineFacts {
  const facts: MachineFacts = { programs: {}, os: '', packageManager: null, root: false };
  for (const line of out.split('\n')) {
    const f = line.split('\t');
    if (f[0] === 'prog' && f[1]) facts.programs[f[1]] = { path: f[2] || null, version: f[3] || null };
    else if (f[0] === 'os') facts.os = f[1] ?? '';
    else if (f[0] === 'pm') facts.packageManager = (f[1] || null) as MachineFacts['packageManager'];
    else if (f[0] === 'uid') facts.root = f[1] === '0';
  }
  return facts;
}

export type CheckStatus = 'ok' | 'missing' | 'old' | 'optional';

export interface Check {
  name: string;
  status: CheckStatus;
  /** "2.39.5 (/usr/bin/git)", or what is wrong. */
  detail: string;
  /** The command that fixes it (null when ok). */
  fix: string | null;
}

/** The base tools fleet needs on every machine it runs agents on, and the oldest version that works. */
export const BASE_TOOLS: { name: string; min?: [number, number] }[] = [
  { name: 'git', min: [2, 30] },
  { name: 'tmux', min: [3, 0] },
  { name: 'bash' },
  { name: 'ps' },
];

/** How each agent program is installed (real-agents.md); an unknown program gets a generic line. */
const AGENT_INSTALL: Record<string, string> = {
  claude: 'npm install -g @anthropic-ai/claude-code',
  codex: 'npm install -g @openai/codex',
  gemini: 'npm install -g @google/gemini-cli',
  opencode: 'npm install -g opencode-ai',
  aider: 'python3 -m pip install aider-install && aider-install',
};

/** The package that holds a tool, per package manager (ps is procps almost everywhere). */
function packageName(tool: string, pm: MachineFacts['packageManager']): string | null {
  if (tool !== 'ps') return tool;
  if (pm === 'brew') return null; // macOS has ps built in
  return pm === 'dnf' || pm === 'yum' || pm === 'pacman' ? 'procps-ng' : 'procps';
}

/** The exact install line for `tool` on a machine with these facts. */
export function installLine(tool: string, facts: Pick<MachineFacts, 'packageManager' | 'root'>): string {
  const pkg = packageName(tool, facts.packageManager);
  const sudo = facts.root ? '' : 'sudo ';
  switch (facts.packageManager) {
    case 'apt-get':
      return `${sudo}apt-get install -y ${pkg}`;
    case 'brew':
      return pkg ? `brew install ${pkg}` : `${tool} comes with macOS: check PATH`;
    case 'dnf':
    case 'yum':
      return `${sudo}${facts.packageManager} install -y ${pkg}`;
    case 'apk':
      return `${sudo}apk add ${pkg}`;
    case 'pacman':
      return `${sudo}pacman -S --noconfirm ${pkg}`;
    case 'zypper':
      return `${sudo}zypper install -y ${pkg}`;
    default:
      return `install ${pkg ?? tool} with the system's package manager (apt-get install ${pkg ?? tool}, brew install ${pkg ?? tool})`;
  }
}

/** "git version 2.39.5" → [2, 39]; "tmux 3.3a" → [3, 3]; "tmux next-3.4" → [3, 4]. */
export function parseVersion(line: string | null): [number, number] | null {
  const m = /(\d+)\.(\d+)/.exec(line ?? '');
  return m ? [Number(m[1]), Number(m[2])] : null;
}

function versionText(name: string, line: string | null): string {
  if (!line) return '';
  const m = /(\d+\.\d+[\w.-]*)/.exec(line);
  if (name === 'ps' && /procps/i.test(line)) return `procps ${m?.[1] ?? ''}`.trim();
  return m?.[1] ?? line;
}

export interface AgentProgram {
  /** The profile's name (claude, codex, mytool). */
  profile: string;
  /** The program its command runs (argv[0]). */
  program: string;
  /** The default agent must be there; the others only for --agent NAME. */
  required: boolean;
}

/** One check per base tool and per agent program, with the fix for each that fails. */
export function evaluate(facts: MachineFacts, agents: readonly AgentProgram[]): Check[] {
  const checks: Check[] = [];
  for (const tool of BASE_TOOLS) {
    const f = facts.programs[tool.name];
    if (!f?.path) {
      checks.push({ name: tool.name, status: 'missing', detail: 'not found on PATH', fix: installLine(tool.name, facts) });
      continue;
    }
    const v = parseVersion(f.version);
    const shown = versionText(tool.name, f.version);
    if (tool.min && v && (v[0] < tool.min[0] || (v[0] === tool.min[0] && v[1] < tool.min[1]))) {
      checks.push({
        name: tool.name,
        status: 'old',
        detail: `${shown} (${f.path}) is too old: fleet needs ${tool.min.join('.')} or newer`,
        fix: facts.packageManager === 'brew' ? `brew upgrade ${tool.name}` : installLine(tool.name, facts),
      });
      continue;
    }
    checks.push({ name: tool.name, status: 'ok', detail: `${shown ? `${shown} ` : ''}(${f.path})`, fix: null });
  }
  const seen = new Set<string>();
  for (const a of agents) {
    if (seen.has(a.profile)) continue;
    seen.add(a.profile);
    const f = facts.programs[a.program];
    const label = a.profile === a.program ? a.profile : `${a.profile} (${a.program})`;
    if (f?.path) {
      checks.push({ name: label, status: 'ok', detail: `(${f.path})`, fix: null });
      continue;
    }
    const base = a.program.split('/').pop()!;
    let fix = AGENT_INSTALL[base] ?? `install ${a.program}, or change [agents.${a.profile}] command in your config`;
    if (fix.startsWith('npm ') && !facts.programs.npm?.path) {
      const node = facts.packageManager === 'brew' ? 'brew install node' : installLine('nodejs', facts).replace(/ nodejs$/, ' nodejs npm');
      fix = `${node} && ${fix}`;
    }
    checks.push(
      a.required
        ? { name: label, status: 'missing', detail: 'not found on PATH (it is the default agent)', fix }
        : { name: label, status: 'optional', detail: `not installed (needed only for --agent ${a.profile})`, fix },
    );
  }
  return checks;
}

/** A check that makes doctor fail (exit 1). */
export const isProblem = (c: Check) => c.status === 'missing' || c.status === 'old';
