import { Command, CommanderError } from 'commander';
import { FleetError, StoppedError } from './errors.js';
import { runnerLog } from './process/runner.js';

/**
 * Every command, in the order of `fleet --help`, each loaded only when needed: `fleet list`
 * loads list's module and what it uses, not the dashboard's or create's (start-up is most of
 * what a list costs). Help, and a name fleet does not know (so commander can suggest one),
 * load them all.
 */
const COMMANDS: { names: string[]; load: () => Promise<Command> }[] = [
  { names: ['create'], load: async () => (await import('./commands/create.js')).createCommand() },
  { names: ['fanout'], load: async () => (await import('./commands/fanout.js')).fanoutCommand() },
  { names: ['multi'], load: async () => (await import('./commands/multi.js')).multiCommand() },
  { names: ['list', 'ls'], load: async () => (await import('./commands/list.js')).listCommand() },
  { names: ['prompt'], load: async () => (await import('./commands/prompt.js')).promptCommand() },
  { names: ['logs'], load: async () => (await import('./commands/logs.js')).logsCommand() },
  { names: ['attach'], load: async () => (await import('./commands/attach.js')).attachCommand() },
  { names: ['kill'], load: async () => (await import('./commands/kill.js')).killCommand() },
  { names: ['config'], load: async () => (await import('./commands/config.js')).configCommand() },
  { names: ['prune'], load: async () => (await import('./commands/prune.js')).pruneCommand() },
  { names: ['diff'], load: async () => (await import('./commands/diff.js')).diffCommand() },
  { names: ['pick'], load: async () => (await import('./commands/pick.js')).pickCommand() },
  { names: ['templates'], load: async () => (await import('./commands/templates.js')).templatesCommand() },
  { names: ['init'], load: async () => (await import('./commands/init.js')).initCommand() },
  { names: ['doctor'], load: async () => (await import('./commands/doctor.js')).doctorCommand() },
  { names: ['wait'], load: async () => (await import('./commands/wait.js')).waitCommand() },
  { names: ['next'], load: async () => (await import('./commands/next.js')).nextCommand() },
  { names: ['revive'], load: async () => (await import('./commands/revive.js')).reviveCommand() },
  { names: ['dashboard'], load: async () => (await import('./commands/dashboard.js')).dashboardCommand() },
  { names: ['trust'], load: async () => (await import('./commands/trust.js')).trustCommand() },
  { names: ['compare'], load: async () => (await import('./commands/compare.js')).compareCommand() },
  { names: ['cost'], load: async () => (await import('./commands/cost.js')).costCommand() },
];

/** The command argv names (the first word that is not fleet's own option), or null. */
function commandOf(argv: readonly string[]): string | null {
  for (const a of argv.slice(2)) {
    if (a === '-v' || a === '--verbose') continue;
    return a.startsWith('-') ? null : a;
  }
  return null;
}

declare const __FLEET_VERSION__: string;

/** The program; with `argv`, only the command it names is loaded (all when it names none fleet knows). */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
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

  const name = argv ? commandOf(argv) : null;
  const one = COMMANDS.find((c) => name !== null && c.names.includes(name));
  for (const c of await Promise.all((one ? [one] : COMMANDS).map((c) => c.load()))) program.addCommand(c);

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
  try {
    const program = await buildProgram(argv);
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    return printError(err, runnerLog.verbose || argv.includes('--verbose') || argv.includes('-v'));
  }
}
