import { Command } from 'commander';
import { FleetError, UsageError } from '../errors.js';
import { REPO_CONFIG_FILE } from '../config/paths.js';
import { detectInit, keysNeedingTrust, renderFleetToml, type InitPlan } from '../core/init-plan.js';
import { baseContext, type BaseContext } from '../context.js';
import { repoInfo } from '../git/repo.js';
import { gatherRepoFacts, fleetTomlExists, writeFleetToml } from '../ops/init.js';
import { canAsk, confirm } from '../ui/confirm.js';
import { tildify } from '../core/format.js';

export interface InitOptions {
  yes?: boolean;
  force?: boolean;
  dryRun?: boolean;
}

export function initCommand(): Command {
  return new Command('init')
    .description("write a commented .fleet.toml for this repository from what it finds (lockfiles, .env files, tests)")
    .option('-y, --yes', 'write without asking')
    .option('-f, --force', 'replace an existing .fleet.toml')
    .option('-n, --dry-run', 'print the file, write nothing')
    .addHelpText('after', `
Finds: lockfiles -> setup_commands (npm ci, pnpm/yarn/bun install, uv sync,
poetry install, pip install -r requirements.txt, cargo fetch, go mod download);
.env* files git ignores -> credential_files; a test command -> compare_command
(npm test, pytest, cargo test, go test ./...). Shows the file and asks before
writing it at the repository's root. Those keys run programs or copy files, so
fleet applies them only after you trust the file: fleet trust.

Examples:
  fleet init
  fleet init --dry-run
  fleet init --yes --force`)
    .action(async (opts: InitOptions) => {
      // No loadContext: it would parse the very .fleet.toml that --force is meant to replace.
      await runInit(baseContext(), opts);
    });
}

export interface InitResult {
  path: string;
  text: string;
  written: boolean;
  plan: InitPlan;
}

export async function runInit(deps: BaseContext, opts: InitOptions): Promise<InitResult> {
  const repo = await repoInfo(deps.run, deps.cwd);
  const home = deps.env.HOME;
  const file = `${repo.root}/${REPO_CONFIG_FILE}`;
  if (!opts.dryRun && !opts.force && fleetTomlExists(repo.root)) {
    throw new FleetError(`${tildify(file, home)} already exists`, { hint: 'fleet init --dry-run shows what fleet would write; --force replaces the file' });
  }
  const plan = detectInit(await gatherRepoFacts(deps.run, repo.root));
  const text = renderFleetToml(plan);
  const result: InitResult = { path: file, text, written: false, plan };
  if (opts.dryRun) {
    deps.ui.out(text);
    return result;
  }
  if (!opts.yes) {
    if (!canAsk()) {
      throw new UsageError(`fleet init shows ${REPO_CONFIG_FILE} and asks before writing it, but there is no terminal to ask on`, 'fleet init --yes writes it; fleet init --dry-run prints it');
    }
    deps.ui.out(text);
    const verb = fleetTomlExists(repo.root) ? 'replace' : 'write';
    if (!(await confirm(`${verb} ${tildify(file, home)}?`))) throw new FleetError('nothing written', { hint: 'fleet init --dry-run prints the file without asking' });
  }
  writeFleetToml(repo.root, text, { force: opts.force });
  result.written = true;
  deps.ui.out(`wrote ${tildify(file, home)}${summary(plan)}`);
  const keys = keysNeedingTrust(plan);
  if (keys.length > 0) {
    deps.ui.note(`next: fleet trust  (${andList(keys)} in a repository's ${REPO_CONFIG_FILE} apply only after you trust its exact content)`);
  } else {
    deps.ui.note('next: fleet config show  (nothing to run was found; edit the file to add setup_commands)');
  }
  return result;
}

function summary(plan: InitPlan): string {
  const parts: string[] = [];
  if (plan.setupCommands.length > 0) parts.push(`setup: ${plan.setupCommands.map((s) => s.command).join(', ')}`);
  if (plan.credentialFiles.length > 0) parts.push(`copies: ${plan.credentialFiles.join(', ')}`);
  if (plan.compare) parts.push(`compare: ${plan.compare.command}`);
  return parts.length > 0 ? ` (${parts.join('; ')})` : '';
}

function andList(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
