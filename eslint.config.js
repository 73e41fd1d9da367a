// Lint rules of docs/conventions.md §1 and §8: folder overrides keep client-node inside kube/ (its types
// only, docs/adr/0008) and libvirt inside handler/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const clientNode = { name: '@kubernetes/client-node', message: 'Only kube/ talks to the API server library.' };
const libvirt = { name: '@unraid/libvirt', message: 'Only handler/ talks to libvirt.' };
const restricted = (...paths) => ['error', { paths }];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      '.cluster/**',
      'cluster/controlplane/**',
      '**/*.js',
      '**/*.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      complexity: ['error', 10],
      'max-depth': ['error', 3],
      'max-params': ['error', 4],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/explicit-function-return-type': [
        'error',
        { allowExpressions: true, allowTypedFunctionExpressions: true },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/prefer-readonly': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': restricted(clientNode, libvirt),
    },
  },
  {
    files: ['kube/**/*.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            libvirt,
            {
              ...clientNode,
              allowTypeImports: true,
              message: 'kube/ takes only types from client-node (docs/adr/0008).',
            },
          ],
        },
      ],
    },
  },
  { files: ['handler/**/*.ts'], rules: { 'no-restricted-imports': restricted(clientNode) } },
  {
    files: ['api/**/*.ts', 'launcher/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [clientNode, libvirt],
          patterns: [
            {
              group: ['../kube/*', '../../kube/*'],
              message: 'api/ and launcher/ import nothing that talks to the cluster.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'test/**/*.tsx', 'bench/**/*.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/explicit-function-return-type': 'off',
      complexity: 'off',
    },
  },
);
