/**
 * Entry point. Kept tiny: `fleet --version` answers before commander or any command module is
 * loaded; everything else lives in main.ts, a separate chunk of the bundle.
 */
declare const __FLEET_VERSION__: string;

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${__FLEET_VERSION__}\n`);
} else {
  const { main } = await import('./main.js');
  process.exitCode = await main(process.argv);
}
