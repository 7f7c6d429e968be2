/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Type checking happens once in `tsc -b` (the pretest step); ts-jest only transpiles.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }] },
  moduleNameMapper: {
    '^vpp-api-ts$': '<rootDir>/packages/vpp-api-ts/src/index.ts',
    // As the package's exports map: ./runtime, then one subpath per generated module.
    '^vpp-api-ts/runtime$': '<rootDir>/packages/vpp-api-ts/src/runtime/index.ts',
    '^vpp-api-ts/(\\w+)$': '<rootDir>/packages/vpp-api-ts/src/gen/$1.ts',
    '^vppwg-codegen$': '<rootDir>/codegen/src/index.ts',
  },
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  testTimeout: 30000,
  maxWorkers: 2,
};
