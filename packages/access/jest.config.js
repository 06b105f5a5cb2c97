/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/src', '<rootDir>/test'].filter((p) =>
    require('node:fs').existsSync(p.replace('<rootDir>', __dirname)),
  ),
  testRegex: '.*\\.(spec|int-spec|e2e-spec)\\.ts$',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 60000,
  // A test that leaks a connection must fail or pass, never keep the run waiting for ever (CI has a deadline).
  forceExit: true,
};
