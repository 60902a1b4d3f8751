/**
 * Entry point. Kept tiny: `fleet --version` answers before commander or any command module is
 * loaded; everything else lives in main.ts, a separate chunk of the bundle.
 */
declare const __FLEET_VERSION__: string;

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${__FLEET_VERSION__}\n`);
} else {
  // A reader that goes away (`fleet --help | head`) must not kill fleet with an EPIPE stack trace —
  // nor stop a create half-way: the rest of stdout is dropped and the command finishes its work.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
  });
  const { main } = await import('./main.js');
  process.exitCode = await main(process.argv);
}
