// ESLint flat config. `npm run lint` fails on any error; `npm run lint:fix` applies the safe autofixes.
// Formatting is Prettier's job (.prettierrc.json): eslint-config-prettier, last, switches off every
// stylistic rule that could disagree with it.
import { defineConfig } from 'eslint/config';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

// Node built-ins a workflow must not import (with or without the node: prefix, which the pattern below covers).
const NODE_IO_MODULES = [
  'fs',
  'fs/promises',
  'net',
  'tls',
  'dgram',
  'dns',
  'http',
  'https',
  'http2',
  'child_process',
  'cluster',
  'worker_threads',
  'os',
  'process',
  'crypto',
  'stream',
  'zlib',
  'readline',
  'timers',
];
const WORKFLOW_SANDBOX =
  "Workflow code runs in Temporal's deterministic sandbox and is replayed from history: do I/O in an activity (activities/) and call it through proxyActivities";

export default defineConfig(
  {
    ignores: ['node_modules/**', 'dist/**', '.local/**', 'test-artifacts/**', 'coverage/**'],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },

  // ---- plain JS: the browser calendar app, the CLI launcher and this config file ----------------
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [js.configs.recommended],
  },
  {
    files: ['src/api/calendar/**/*.js', 'src/api/console/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['bin/**/*.js', 'eslint.config.js'],
    languageOptions: { globals: { ...globals.node } },
  },

  // ---- TypeScript: type-aware ------------------------------------------------------------------
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: {
        // tsconfig.json includes src, workflows, activities, test and bench; vitest.config.ts sits outside
        // it (tsc must not emit it) and is linted with tsconfig.json's compiler options as a default project.
        projectService: {
          allowDefaultProject: ['vitest.config.ts'],
          defaultProject: 'tsconfig.json',
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // The bug-catching rules, spelled out (all in recommendedTypeChecked too) so they survive a preset change.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unsafe-argument': 'error',
      '@typescript-eslint/no-unsafe-assignment': 'error',
      '@typescript-eslint/no-unsafe-call': 'error',
      '@typescript-eslint/no-unsafe-member-access': 'error',
      '@typescript-eslint/no-unsafe-return': 'error',
      // Off: every hit was an `async` Fastify plugin or handler (Fastify's contract is "async function or
      // done callback", and async turns a throw into a rejection Fastify handles) or a test stub of an
      // async interface. Dropping `async` there would change behaviour; the rule caught no bug.
      '@typescript-eslint/require-await': 'off',
      // `_`-prefixed parameters and destructured leftovers are deliberate (interface shape, omit-by-rest).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },

  // ---- workflows/: Temporal determinism ------------------------------------------------------------
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'Date',
          property: 'now',
          message:
            "Date.now() in a workflow is the sandbox's replayed workflow-task time, not wall-clock time: take times from workflowInfo() (startTime, runStartTime) or pass them in as input",
        },
        {
          object: 'Math',
          property: 'random',
          message:
            "Math.random() in a workflow is the sandbox's seeded PRNG, replayed from history: use uuid4() from @temporalio/workflow for ids, or take randomness from an activity",
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message:
            "new Date() in a workflow is the sandbox's replayed workflow-task time, not wall-clock time: take times from workflowInfo() (startTime, runStartTime) or pass them in as input; new Date(value) is fine",
        },
        {
          selector: "CallExpression[callee.name='Date']",
          message:
            "Date() in a workflow is the sandbox's replayed workflow-task time, not wall-clock time: take times from workflowInfo() or pass them in as input",
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: `process is not available in the workflow sandbox (and its env differs between workers). ${WORKFLOW_SANDBOX}` },
        { name: 'fetch', message: `fetch is I/O. ${WORKFLOW_SANDBOX}` },
        { name: 'require', message: `require is not available in the workflow sandbox. ${WORKFLOW_SANDBOX}` },
      ],
      // The typescript-eslint version of no-restricted-imports, for allowTypeImports.
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...NODE_IO_MODULES.map((name) => ({ name, message: `Node built-ins are not available in the workflow sandbox. ${WORKFLOW_SANDBOX}` })),
            { name: 'pg', message: `A database client is I/O. ${WORKFLOW_SANDBOX}` },
            { name: 'pg-copy-streams', message: `A database client is I/O. ${WORKFLOW_SANDBOX}` },
            {
              name: '@temporalio/client',
              message: 'The Temporal client does network I/O: from a workflow use @temporalio/workflow (executeChild, startChild, signals) instead',
            },
            {
              name: '@temporalio/worker',
              message: 'The worker package runs the sandbox, it cannot be loaded inside it: workflows import @temporalio/workflow only',
            },
            {
              name: '@temporalio/activity',
              message: 'Activity context exists only inside an activity: workflows call activities through proxyActivities from @temporalio/workflow',
            },
          ],
          patterns: [
            { regex: '^node:', message: `Node built-ins are not available in the workflow sandbox. ${WORKFLOW_SANDBOX}` },
            { group: ['@aws-sdk/*'], message: `The AWS SDK does network I/O. ${WORKFLOW_SANDBOX}` },
            {
              regex: '(^|/)activities(/|$)',
              allowTypeImports: true,
              message:
                "Workflows may only `import type` from activities (e.g. `import type { Activities }`) and call them through proxyActivities<Activities>(): a value import pulls the activities' I/O code into the sandbox bundle",
            },
          ],
        },
      ],
    },
  },

  // ---- tests ---------------------------------------------------------------------------------------
  {
    files: ['test/**/*.ts'],
    // test/helpers is shared code (harness, fixtures) and stays under the full rule set.
    ignores: ['test/helpers/**'],
    rules: {
      // Test files read JSON API responses (`res.json()`, `app.inject().json()`) and child-process
      // output as `any` and poke at them (`body.items[0].state`): that was ~440 of the first run's 520
      // errors, each fixable only by a cast that catches nothing, since a wrong shape fails the
      // assertion anyway. bench/ and test/helpers/ have none and stay strict. The promise rules stay on
      // everywhere: a floating promise in a test is a real bug (an assertion that never runs, an
      // unhandled rejection after the test ended).
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },

  prettier,
);
