import path from 'node:path';
import { Command } from 'commander';
import { FleetError, UsageError } from '../errors.js';
import { baseContext, type BaseContext } from '../context.js';
import { ConfigManager, readRepoConfigFile, settingsOf } from '../config/config-manager.js';
import { andList } from '../config/ignored.js';
import { sha256 } from '../config/trust-store.js';
import { CONFIG_FILE, REPO_CONFIG_FILE } from '../config/paths.js';
import { validateConfig } from '../config/validate.js';
import { repoInfo } from '../git/repo.js';
import { lineDiff } from '../core/line-diff.js';
import { showable, tildify } from '../core/format.js';
import { canAsk, confirm } from '../ui/confirm.js';

export interface TrustOptions {
  yes?: boolean;
  revoke?: boolean;
}

export function trustCommand(): Command {
  return new Command('trust')
    .description("trust this repository's .fleet.toml, so its keys that run programs apply")
    .option('-y, --yes', 'trust it without showing it and asking (read it first)')
    .option('--revoke', 'stop trusting it')
    .addHelpText('after', `
A repository's .fleet.toml is like a git hook: keys that run or choose
programs and paths (setup_commands, [agents.*], claude_flags,
credential_files, worktree_root, [env], compare_command, ...) apply only
once you trust that file's exact content. Harmless keys (max_parallel,
idle_seconds, ...) apply without. fleet trust shows the file (and what
changed since you last trusted it) and asks. Any change to the file makes
it untrusted again; [hosts.*] are only ever read from your own config.toml.
Trust is kept in ~/.ai_fleet/trust.json, by repository path and SHA-256.

Examples:
  fleet trust
  fleet trust --yes
  fleet trust --revoke`)
    .action(async (opts: TrustOptions) => {
      await runTrust(baseContext(), opts);
    });
}

export interface TrustResult {
  file: string;
  trusted: boolean;
  changed: boolean;
}

export async function runTrust(deps: BaseContext, opts: TrustOptions): Promise<TrustResult> {
  const repo = await repoInfo(deps.run, deps.cwd);
  const home = deps.env.HOME;
  const file = path.join(repo.root, REPO_CONFIG_FILE);
  const shown = tildify(file, home);
  const before = await deps.configs.load(undefined, (m) => deps.ui.warn(m));
  const store = deps.configs.trustStore();

  if (opts.revoke) {
    const had = await store.revoke(repo.root);
    deps.ui.out(had ? `${shown} is no longer trusted` : `${shown} was not trusted; nothing to revoke`);
    return { file, trusted: false, changed: had };
  }

  const read = readRepoConfigFile(file);
  if (!read) throw new FleetError(`there is no ${REPO_CONFIG_FILE} in ${tildify(repo.root, home)}`, { hint: 'fleet init writes one' });
  if ('problem' in read) throw new FleetError(`${shown} cannot be trusted: ${read.problem}`);
  // A file fleet could not load is not worth trusting: its errors come first.
  const values = validateConfig(await ConfigManager.parseText(read.text, file), file).values;
  const keys = settingsOf(values, before.config);
  const gated = keys.filter((k) => k.cls === 'gated').map((k) => k.key);
  const userOnly = keys.filter((k) => k.cls === 'user-only').map((k) => k.key);
  const entry = store.lookup(repo.root, (m) => deps.ui.warn(m));
  const hash = sha256(read.bytes);
  const short = hash.slice(0, 12);
  if (entry?.sha256 === hash) {
    deps.ui.out(`${shown} is already trusted (sha256 ${short})`);
    return { file, trusted: true, changed: false };
  }

  if (!opts.yes) {
    if (!canAsk()) {
      throw new UsageError(`fleet trust shows ${REPO_CONFIG_FILE} and asks before trusting it, but there is no terminal to ask on`, `read it (cat ${shown}), then: fleet trust --yes`);
    }
    deps.ui.out(describe(shown, read.text, entry));
    if (gated.length > 0) deps.ui.out(`Trusting it lets fleet apply: ${andList(gated)}.`);
    else deps.ui.out('It sets nothing that needs trust.');
    if (userOnly.length > 0) deps.ui.out(`${andList(userOnly)} stay ignored: only your own ${CONFIG_FILE} may set them.`);
    if (!(await confirm(`trust ${shown}?`))) throw new FleetError(`${shown} not trusted; nothing changed`);
  }
  await store.trust(repo.root, hash, read.text);
  const applies = gated.length > 0 ? `; its ${andList(gated)} now apply` : '';
  deps.ui.out(`trusted ${shown} (sha256 ${short})${applies}`);
  return { file, trusted: true, changed: true };
}

/** The file as it is (numbered, control characters made visible), then what changed since it was last trusted. */
function describe(shown: string, text: string, previous: { content: string; trusted_at: string } | undefined): string {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const width = String(lines.length).length;
  const out = [`${shown} (${lines.length === 1 ? '1 line' : `${lines.length} lines`}):`];
  lines.forEach((l, i) => out.push(`${String(i + 1).padStart(width)} | ${showable(l)}`));
  if (previous) {
    const diff = lineDiff(previous.content, text);
    const when = previous.trusted_at ? ` on ${previous.trusted_at.slice(0, 10)}` : '';
    if (diff) out.push('', `Changed since you trusted it${when}:`, ...diff.map(showable));
    else out.push('', `Changed since you trusted it${when} (too long to compare line by line).`);
  }
  out.push('');
  return out.join('\n');
}
