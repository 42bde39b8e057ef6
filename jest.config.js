/**
 * Jest runs in native ESM mode (NestJS 12 ships ESM only): `npm test` sets
 * NODE_OPTIONS=--experimental-vm-modules and ts-jest compiles with the full
 * TypeScript program so decorator metadata (design:paramtypes) is emitted.
 */
import { availableParallelism } from 'node:os';

/** @type {import('jest').Config} */
export default {
  // At most two workers: the e2e files start redis-servers, a Redis Cluster, Chromium and a load test,
  // which on a large machine would otherwise all run at once; one on a machine of two cores.
  maxWorkers: Math.min(2, Math.max(1, availableParallelism() - 1)),
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      { useESM: true, tsconfig: '<rootDir>/tsconfig.json', diagnostics: { ignoreCodes: [151002] } },
    ],
  },
  setupFiles: ['<rootDir>/test/setup.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/setup-after-env.ts'],
  testTimeout: 30000,
};
