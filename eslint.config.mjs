// Shared ESLint flat config: type-aware rules; floating and misused promises are errors.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '**/generated/**', '**/coverage/**', '**/*.js', '**/*.mjs'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },

  // Import boundaries (README "Structure"): an app never imports another app (shared code lives in packages/),
  // and the wire-level packages stay free of Nest and Prisma so any consumer can use them.
  {
    files: ['apps/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '@vellum/api-gateway',
                '@vellum/ingest-orchestrator',
                '@vellum/image-processor',
                '@vellum/av-transcoder',
                '@vellum/iiif-delivery',
                '@vellum/auth-service',
                '@vellum/*/src/*',
                '**/apps/*',
                '../../../*/src/*',
                '../../*/src/*',
              ],
              message: 'An app never imports another app: move the shared code into packages/.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/contracts/**/*.ts', 'packages/iiif/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@nestjs/*', '@prisma/*', '@vellum/db', '@vellum/common', '@vellum/messaging'],
              message: '@vellum/contracts and @vellum/iiif stay free of Nest and Prisma.',
            },
          ],
        },
      ],
    },
  },
);
