// ESLint flat config: typescript-eslint's recommended rules plus the typed rules STYLE.md asks
// for, and the workflow sandbox's import rules. Formatting is Prettier's job (`npm run format`).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**', '.tools/**', 'test-artifacts/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no I/O modules,
    // and activities only as types (their implementations run outside the sandbox).
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^node:', message: 'Workflow code cannot use Node built-ins (sandbox).' },
            {
              regex: '^(fs|path|os|crypto|http|https|net|child_process|timers|worker_threads)$',
              message: 'Workflow code cannot use Node built-ins (sandbox).',
            },
            {
              regex: '^(pg|express|openai|@anthropic-ai/.*|@aws-sdk/.*|@temporalio/(client|worker|activity))$',
              message: 'Workflow code does no I/O: call an activity.',
            },
            { regex: '(^|/)(db|api|tokens|prices|providers/(openai|anthropic|bedrock))(/|$)', message: 'Workflow code does no I/O: call an activity.' },
            { regex: '(^|/)activities(/|$)', allowTypeImports: true, message: 'Import activities only as types (proxyActivities).' },
          ],
        },
      ],
    },
  },
);
