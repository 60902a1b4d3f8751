import { Command, CommanderError } from 'commander';
import { FleetError, StoppedError } from './errors.js';
import { runnerLog } from './process/runner.js';
import { createCommand } from './commands/create.js';
import { fanoutCommand } from './commands/fanout.js';
import { multiCommand } from './commands/multi.js';
import { listCommand } from './commands/list.js';
import { promptCommand } from './commands/prompt.js';
import { logsCommand } from './commands/logs.js';
import { attachCommand } from './commands/attach.js';
import { killCommand } from './commands/kill.js';
import { configCommand } from './commands/config.js';
import { pruneCommand } from './commands/prune.js';
import { diffCommand } from './commands/diff.js';
import { pickCommand } from './commands/pick.js';
import { templatesCommand } from './commands/templates.js';
import { initCommand } from './commands/init.js';
import { doctorCommand } from './commands/doctor.js';
import { waitCommand } from './commands/wait.js';
import { nextCommand } from './commands/next.js';
import { reviveCommand } from './commands/revive.js';
import { dashboardCommand } from './commands/dashboard.js';
import { trustCommand } from './commands/trust.js';
import { compareCommand } from './commands/compare.js';
import { costCommand } from './commands/cost.js';

declare const __FLEET_VERSION__: string;

export function buildProgram(): Command {
  const program = new Command('fleet')
    .description('Run AI coding agents in parallel on one repository: a git worktree, a branch and a tmux session each.')
    .version(__FLEET_VERSION__, '-V, --version', 'print the version')
    .option('-v, --verbose', 'log every git/tmux call and its duration to stderr; show stack traces')
    .showSuggestionAfterError(true)
    .addHelpText('after', `
Examples:
  fleet create fix-auth --prompt "Fix the authentication bug"
  fleet fanout 3 auth-refactor --prompt "Refactor the auth module"
  fleet multi fix-login:"Fix login" add-tests:"Add test coverage"
  fleet list --grouped
  fleet logs fix-auth -n 100
  fleet prompt fix-auth "Now run the tests"
  fleet attach fix-auth
  fleet diff auth-refactor-2
  fleet compare auth-refactor --run "npm test"
  fleet pick auth-refactor-2
  fleet cost
  fleet kill fix-auth
  fleet prune

Files: ~/.ai_fleet (or $AI_FLEET_HOME): config.toml, state.json, worktrees/`);

  for (const make of [createCommand, fanoutCommand, multiCommand, listCommand, promptCommand, logsCommand, attachCommand, killCommand, configCommand, pruneCommand, diffCommand, pickCommand]) {
    program.addCommand(make());
  }
  program.addCommand(templatesCommand());
  program.addCommand(initCommand());
  program.addCommand(doctorCommand());
  for (const make of [waitCommand, nextCommand, reviveCommand]) program.addCommand(make());
  program.addCommand(dashboardCommand());
  program.addCommand(trustCommand());
  program.addCommand(compareCommand());
  program.addCommand(costCommand());

  program.hook('preAction', (_this, action) => {
    if (action.optsWithGlobals().verbose) runnerLog.verbose = true;
  });
  // Every command (and subcommand) exits through main()'s catch, never process.exit inside.
  // Help wraps at 80 columns even on a wider terminal: long lines are hard to read.
  const helpWidth = Math.min(80, process.stdout.columns || 80);
  const override = (c: Command) => {
    c.exitOverride();
    c.configureHelp({ helpWidth });
    // commander's "(Did you mean set?)" line becomes our hint line.
    c.configureOutput({ outputError: (str, write) => write(str.replace(/\n\(Did you mean (.+)\?\)\n?$/, '\nhint: did you mean $1?\n')) });
    c.commands.forEach(override);
  };
  override(program);
  return program;
}

function printError(err: unknown, verbose: boolean): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    // commander has already printed "error: …" (and a "did you mean" hint when it had one)
    if (!/\(Did you mean /.test(err.message)) process.stderr.write('hint: add --help to see the usage\n');
    return 2;
  }
  if (err instanceof StoppedError) return err.exitCode; // Ctrl+C on a watch: the ^C says it all
  if (err instanceof FleetError) {
    const [first, ...rest] = err.message.split('\n');
    process.stderr.write(`error: ${first}\n`);
    if (rest.length > 0) process.stderr.write(rest.join('\n') + '\n');
    if (err.hint) process.stderr.write(`hint: ${err.hint}\n`);
    if (verbose && err.stack) process.stderr.write(err.stack + '\n');
    return err.exitCode;
  }
  const e = err as Error;
  process.stderr.write(`error: ${e?.message ?? String(err)}\n`);
  if (verbose && e?.stack) process.stderr.write(e.stack + '\n');
  else process.stderr.write('hint: run again with --verbose for details\n');
  return 1;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    return printError(err, runnerLog.verbose || argv.includes('--verbose') || argv.includes('-v'));
  }
}
