// Type-aware lint (typescript-eslint strict-type-checked). The rules this code needs most are the
// ones that catch real bugs in an agent full of timers, signals and fire-and-forget work:
// floating and misused promises, conditions the types say are always true or false, and switches
// that miss a case. Style is the formatter's job (prettier: `npm run format`).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tools/**', '.bench-out/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.lint.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unnecessary-condition': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // Numbers and booleans read fine in messages; an object or a union with undefined does not.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // `map.get(k)!` after a check is this code's idiom; the rule would trade it for casts.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // @kubernetes/client-node's models are classes used as plain shapes by design.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      // `() => void thing()` vs `() => { thing(); }` is style.
      '@typescript-eslint/no-confusing-void-expression': 'off',
      '@typescript-eslint/no-unnecessary-type-conversion': 'off',
      // A signal's reason is what an aborted wait rejects with, by the platform's convention.
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
      '@typescript-eslint/use-unknown-in-catch-callback-variable': 'off',
      // Spreading a client-node model into a patched copy is intended (they are plain shapes).
      '@typescript-eslint/no-misused-spread': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // Subclasses re-declare a base constructor to make it public; JSON control characters are matched on purpose.
      '@typescript-eslint/no-useless-constructor': 'off',
      'no-control-regex': 'off',
      // An async function turns a throw into a rejection, which callers of an API returning a promise expect.
      '@typescript-eslint/require-await': 'off',
      // Closures read these `let`s before the one assignment that follows start-up steps.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      '@typescript-eslint/no-unnecessary-type-parameters': 'off',
      // prom-client's collect() gets the metric as `this`; the outer object comes in as `self`.
      '@typescript-eslint/no-this-alias': 'off',
      // gRPC status numbers come off the wire as numbers; an unknown one is printed as its number.
      '@typescript-eslint/no-unsafe-enum-assignment': 'off',
    },
  },
  {
    // The simulators and tests read untyped JSON bodies on purpose.
    files: ['sim/**', 'test/**', 'bench/**', 'demo/**'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-dynamic-delete': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-redundant-type-constituents': 'off',
      '@typescript-eslint/restrict-plus-operands': 'off',
      // Tests probe values the types promise but the wire may not keep.
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/no-unsafe-function-type': 'off',
    },
  },
);
