import { defineConfig } from 'tsup';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineConfig([{
  entry: { cli: 'src/cli.ts' },
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  // One file: dependencies are bundled so start-up reads one script instead of walking node_modules.
  noExternal: [/.*/],
  splitting: true,
  sourcemap: false,
  // dist/web is the dashboard page's own build (below).
  clean: ['!web/**'],
  minify: false,
  define: { __FLEET_VERSION__: JSON.stringify(pkg.version) },
  // Bundled CommonJS dependencies (proper-lockfile, cli-table3, pidusage) call require().
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __fleetCreateRequire } from 'node:module';\nconst require = __fleetCreateRequire(import.meta.url);",
  },
}, {
  // The dashboard page (fleet dashboard serves dist/web/app.js and app.css): a browser bundle of
  // its own, so nothing of it reaches the CLI's start-up.
  entry: { app: 'src/web/page/app.ts' },
  outDir: 'dist/web',
  format: ['iife'],
  platform: 'browser',
  target: 'es2022',
  noExternal: [/.*/],
  outExtension: () => ({ js: '.js' }),
  minify: true,
  sourcemap: false,
  clean: true,
}]);
