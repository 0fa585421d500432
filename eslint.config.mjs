// typescript-eslint's type-checked recommendations over every TypeScript project of the build
// (the packages, test/, bench/) and the plain-JS entry points (bin/, scripts/). npm run lint runs
// it after tsc -b: the projects see each other through their dist/ declarations.
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

// lvscare's folders and which of the others each may import (docs/development.md, Repository layout).
// commands/ is the CLI's: only cli.ts, quick-command.ts and the public entry import from it.
// time/ (the clock and cancellation) imports nothing, and every folder may import it.
const LVSCARE_FOLDERS = {
  commands: [
    'config',
    'daemon',
    'discovery',
    'events',
    'health',
    'http',
    'log',
    'metrics',
    'node-events',
    'policy',
    'probe',
    'reconcile',
    'vip',
  ],
  config: ['files'],
  daemon: ['config', 'discovery', 'events', 'health', 'policy', 'probe', 'reconcile', 'vip'],
  discovery: ['config', 'files', 'policy'],
  events: ['config', 'discovery', 'health', 'log', 'metrics', 'probe', 'reconcile'],
  files: [],
  health: ['config'],
  http: ['config', 'metrics'],
  log: ['config'],
  metrics: ['config', 'discovery', 'health', 'probe', 'reconcile'],
  'node-events': ['config', 'discovery', 'events', 'reconcile'],
  policy: ['config', 'health'],
  probe: ['config', 'health'],
  reconcile: ['config', 'health', 'policy'],
  time: [],
  vip: ['config'],
};
const EVERY_FOLDER_MAY_IMPORT = ['time'];
const layering = Object.entries(LVSCARE_FOLDERS).map(([folder, allowed]) => ({
  files: [`packages/lvscare/src/${folder}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: Object.keys(LVSCARE_FOLDERS)
          .filter(
            (other) =>
              other !== folder &&
              !allowed.includes(other) &&
              !EVERY_FOLDER_MAY_IMPORT.includes(other),
          )
          .map((other) => ({
            group: [`../${other}/*`],
            message: `${folder}/ does not import ${other}/ (docs/development.md, Repository layout).`,
          })),
      },
    ],
  },
}));

export default defineConfig(
  { ignores: ['**/dist/**', '.cache/**', 'bench/out/**', 'node_modules/**'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Dropping keys by destructuring them away (`{ pid: _pid, ...rest }`) is how a record is
      // copied without them; tsc's noUnusedLocals accepts it, and so does this.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { ignoreRestSiblings: true, argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      // Passing on a rejection reason received as `unknown` keeps it as it was thrown; only
      // inventing a reason that is not an Error is the mistake this rule is after.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // node:test runs the promises test() and describe() return itself, and reports their
      // failures; awaiting them in a file's top level would only serialise the registration.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
    },
  },
  ...layering,
  {
    // The public entries are what kha imports: no daemon, no HTTP endpoint, no metrics registry.
    files: ['packages/lvscare/src/index.ts', 'packages/lvscare/src/cli-kit.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['./daemon/*', './http/*', './metrics/*'],
              message: 'not part of the public entry',
            },
          ],
        },
      ],
    },
  },
  {
    // kha uses lvscare through its public entry only, and netlink-ffi depends on no other package.
    files: ['packages/installer/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '@kha/lvscare/*',
                '!@kha/lvscare/cli-kit',
                '**/lvscare/src/*',
                '**/lvscare/dist/*',
              ],
              message: "import '@kha/lvscare'",
            },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/netlink-ffi/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@kha/*', '../../*'],
              message: 'netlink-ffi depends on no other package of kha',
            },
          ],
        },
      ],
    },
  },
  {
    // Test doubles implement the async interfaces (IpvsKernel, RouteClient, ...) with `async`
    // methods that have nothing to wait for: `async` keeps a throw a rejection, as it is in the
    // real implementation.
    files: ['packages/*/test/**/*.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.recommended],
  },
);
