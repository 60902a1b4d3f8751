// `npm run lint`: typescript-eslint's recommended type-checked rules. Their type-aware checks
// (no-floating-promises, no-misused-promises, await-thenable, …) catch what an async CLI that
// rolls back on failure gets wrong: a promise nobody awaits is a rollback step that silently
// never ran, or an error nobody sees.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // Programs the tests run as processes (plain node, outside the TypeScript project) are not linted.
  { ignores: ['dist/', 'node_modules/', 'bench/', 'test/helpers/*.mjs'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['eslint.config.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // An async function without an await is how a function that must return a promise (a
      // Runner, a StatReader, a rebuild hook) turns what it throws into a rejection.
      '@typescript-eslint/require-await': 'off',
      // "_" names a parameter a callback's signature requires but the body does not use.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // End-to-end tests read the CLI's --json output and state.json as a user's script would:
      // untyped (any), checked field by field by the assertions themselves.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
);
