// ESM project: ts-jest compiles each file as an ES module (isolatedModules: transpile only; `npm run
// typecheck` does the type checking), and node runs it with --experimental-vm-modules.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // Built output (dist/client carries a copy of client/package.json) is never a module source.
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
  globalSetup: '<rootDir>/test/global-setup.js',
  testTimeout: 30000,
  // Three on two cores: most suites wait on child processes, sockets and timers more than they
  // compute (two workers kept the cores ~55% busy); the full run took 667 s against 904 s with two.
  maxWorkers: 3,
  // Each suite loads the module graph anew (ESM under vm modules) and the old ones are never freed:
  // workers reached 1.6 GB and their collections slowed every later suite. Recycling a worker past
  // 800 MB took the full run from 1,073 s to 904 s (same machine, same day).
  workerIdleMemoryLimit: '800MB',
};
