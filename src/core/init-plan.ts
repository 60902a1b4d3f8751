/**
 * What `fleet init` writes, decided from facts about a repository's root (pure: the command
 * gathers the facts). Each found command says what it was found from, so the file explains itself.
 */

export interface RepoFacts {
  /** Names of the regular files at the repository root (links excluded). */
  files: ReadonlySet<string>;
  /** Parsed package.json, or null. */
  packageJson: { scripts?: Record<string, unknown>; packageManager?: unknown } | null;
  /** Texts of root files that say whether pytest is configured (null when absent). */
  pyprojectToml: string | null;
  setupCfg: string | null;
  toxIni: string | null;
  makefile: string | null;
  /** `.env*` files at the root that git ignores (and does not track). */
  ignoredEnvFiles: readonly string[];
}

export interface Found {
  command: string;
  /** Why: "package-lock.json", "\"test\" in package.json scripts". */
  from: string;
}

export interface InitPlan {
  setupCommands: Found[];
  credentialFiles: string[];
  /** The first test command found; the others are offered as comments. */
  compare: Found | null;
  compareAlternatives: Found[];
  notes: string[];
}

/** npm's placeholder from `npm init`: not a test command. */
const NPM_PLACEHOLDER = /no test specified/;

type JsManager = 'npm' | 'pnpm' | 'yarn' | 'yarn-berry' | 'bun';

const JS_INSTALL: Record<JsManager, string> = {
  npm: 'npm ci',
  pnpm: 'pnpm install --frozen-lockfile',
  yarn: 'yarn install --frozen-lockfile',
  'yarn-berry': 'yarn install --immutable',
  bun: 'bun install --frozen-lockfile',
};
const JS_TEST: Record<JsManager, string> = {
  npm: 'npm test',
  pnpm: 'pnpm test',
  yarn: 'yarn test',
  'yarn-berry': 'yarn test',
  // `bun test` is bun's own test runner; `bun run test` is the package.json script.
  bun: 'bun run test',
};

/** Lockfiles in order of preference when several are present and package.json does not say. */
const JS_LOCKFILES: Array<[string, JsManager]> = [
  ['pnpm-lock.yaml', 'pnpm'],
  ['bun.lock', 'bun'],
  ['bun.lockb', 'bun'],
  ['yarn.lock', 'yarn'],
  ['package-lock.json', 'npm'],
  ['npm-shrinkwrap.json', 'npm'],
];

export function detectInit(facts: RepoFacts): InitPlan {
  const plan: InitPlan = { setupCommands: [], credentialFiles: [...facts.ignoredEnvFiles], compare: null, compareAlternatives: [], notes: [] };
  const tests: Found[] = [];

  // JavaScript / TypeScript
  const js = jsManager(facts);
  if (js) {
    if (js.lockfile) plan.setupCommands.push({ command: JS_INSTALL[js.manager], from: js.lockfile });
    else plan.notes.push(`package.json has no lockfile: add "${js.manager === 'npm' ? 'npm install' : JS_INSTALL[js.manager].split(' --')[0]}" to setup_commands if agents need node_modules`);
    if (js.others.length > 0) {
      const chose = js.lockfile ?? `${js.manager.replace('-berry', '')} (packageManager in package.json)`;
      plan.notes.push(`also found ${js.others.join(', ')}: fleet chose ${chose}; remove the lockfile you do not use`);
    }
    const test = facts.packageJson?.scripts?.test;
    if (typeof test === 'string' && test.trim() !== '' && !NPM_PLACEHOLDER.test(test)) {
      tests.push({ command: JS_TEST[js.manager], from: '"test" in package.json scripts' });
    }
  }

  // Python
  const has = (f: string) => facts.files.has(f);
  const py = has('uv.lock') ? 'uv' : has('poetry.lock') ? 'poetry' : has('requirements.txt') ? 'pip' : null;
  if (py === 'uv') plan.setupCommands.push({ command: 'uv sync', from: 'uv.lock' });
  if (py === 'poetry') plan.setupCommands.push({ command: 'poetry install', from: 'poetry.lock' });
  if (py === 'pip') plan.setupCommands.push({ command: 'pip install -r requirements.txt', from: 'requirements.txt' });
  const pytestFrom = pytestConfig(facts);
  if (pytestFrom) {
    const runner = py === 'uv' ? 'uv run pytest' : py === 'poetry' ? 'poetry run pytest' : 'pytest';
    tests.push({ command: runner, from: pytestFrom });
  }

  // Rust
  if (has('Cargo.lock')) plan.setupCommands.push({ command: 'cargo fetch', from: 'Cargo.lock' });
  if (has('Cargo.toml')) tests.push({ command: 'cargo test', from: 'Cargo.toml' });

  // Go
  if (has('go.sum')) plan.setupCommands.push({ command: 'go mod download', from: 'go.sum' });
  if (has('go.mod')) tests.push({ command: 'go test ./...', from: 'go.mod' });

  // Anything with a Makefile test target, last.
  if (facts.makefile !== null && /^test\s*:/m.test(facts.makefile)) tests.push({ command: 'make test', from: 'the "test" target in Makefile' });

  plan.compare = tests[0] ?? null;
  plan.compareAlternatives = tests.slice(1);
  return plan;
}

function jsManager(facts: RepoFacts): { manager: JsManager; lockfile: string | null; others: string[] } | null {
  if (!facts.packageJson) return null;
  const present = JS_LOCKFILES.filter(([f]) => facts.files.has(f));
  const berry = facts.files.has('.yarnrc.yml');
  // Corepack's "packageManager": "yarn@4.1.0" names the manager (and Yarn's major version) outright.
  const pm = typeof facts.packageJson.packageManager === 'string' ? /^(npm|pnpm|yarn|bun)@(\d+)/.exec(facts.packageJson.packageManager) : null;
  let manager: JsManager | null = null;
  if (pm) manager = pm[1] === 'yarn' ? (Number(pm[2]) >= 2 ? 'yarn-berry' : 'yarn') : (pm[1] as JsManager);
  const lock = manager ? present.find(([, m]) => m === manager || (manager === 'yarn-berry' && m === 'yarn')) : present[0];
  if (!manager) {
    manager = lock ? lock[1] : 'npm';
    // Yarn 2+ (berry) keeps its settings in .yarnrc.yml and spells "frozen" --immutable.
    if (manager === 'yarn' && berry) manager = 'yarn-berry';
  }
  return { manager, lockfile: lock?.[0] ?? null, others: present.filter(([f]) => f !== lock?.[0]).map(([f]) => f) };
}

function pytestConfig(facts: RepoFacts): string | null {
  if (facts.files.has('pytest.ini')) return 'pytest.ini';
  if (facts.pyprojectToml !== null && /^\[tool\.pytest\.ini_options\]/m.test(facts.pyprojectToml)) return '[tool.pytest.ini_options] in pyproject.toml';
  if (facts.setupCfg !== null && /^\[tool:pytest\]/m.test(facts.setupCfg)) return '[tool:pytest] in setup.cfg';
  if (facts.toxIni !== null && /^\[pytest\]/m.test(facts.toxIni)) return '[pytest] in tox.ini';
  if (facts.files.has('conftest.py')) return 'conftest.py';
  return null;
}

/** A TOML basic string: quotes, backslashes and every control character escaped. */
export function tomlString(s: string): string {
  return `"${s.replace(/[\\"\u0000-\u001f\u007f]/g, (c) => {
    if (c === '\\') return '\\\\';
    if (c === '"') return '\\"';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  })}"`;
}

function tomlArray(items: readonly string[]): string {
  return `[${items.map(tomlString).join(', ')}]`;
}

/** Only printable text goes into a comment (a hostile file name must not start a new line). */
function commentSafe(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f]/g, '?');
}

/** Keys in the file that run programs or copy files (they need `fleet trust`). */
export function keysNeedingTrust(plan: InitPlan): string[] {
  const keys: string[] = [];
  if (plan.setupCommands.length > 0) keys.push('setup_commands');
  if (plan.credentialFiles.length > 0) keys.push('credential_files');
  if (plan.compare) keys.push('compare_command');
  return keys;
}

/** The commented `.fleet.toml`. */
export function renderFleetToml(plan: InitPlan): string {
  const out: string[] = [
    '# fleet settings for this repository, written by `fleet init`; commit it to share them.',
    '# Keys here override ~/.ai_fleet/config.toml in this repository (see: fleet config show).',
    '#',
    '# setup_commands, credential_files and compare_command run programs or copy files, so fleet',
    '# ignores them here until you trust this exact file with `fleet trust` (again after each edit).',
    '',
    '# Shell commands run, in order, in each new worktree before its agent starts',
    '# (--quick skips them).',
  ];
  if (plan.setupCommands.length > 0) {
    out.push(`# found: ${commentSafe(plan.setupCommands.map((s) => s.from).join(', '))}`);
    out.push(`setup_commands = ${tomlArray(plan.setupCommands.map((s) => s.command))}`);
  } else {
    out.push('# (no lockfile found)', '# setup_commands = ["make deps"]');
  }
  for (const n of plan.notes) out.push(`# note: ${commentSafe(n)}`);

  out.push('', '# Files git ignores (local secrets and settings) copied into each new worktree, mode kept.');
  if (plan.credentialFiles.length > 0) out.push(`credential_files = ${tomlArray(plan.credentialFiles)}`);
  else out.push('# (no git-ignored .env files found)', '# credential_files = [".env"]');

  out.push('', '# The check `fleet compare` runs in every worktree of a batch to rank its agents.');
  if (plan.compare) {
    out.push(`# found: ${commentSafe(plan.compare.from)}`);
    out.push(`compare_command = ${tomlString(plan.compare.command)}`);
    for (const alt of plan.compareAlternatives) out.push(`# compare_command = ${tomlString(alt.command)}  # from ${commentSafe(alt.from)}`);
  } else {
    out.push('# (no test command found)', '# compare_command = "make test"');
  }

  out.push('', '# How many agents fanout/multi set up at once.', '# max_parallel = 4', '');
  return out.join('\n');
}
