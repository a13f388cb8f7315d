// Jest runs the compiled tests in dist/ (`npm test` compiles first), so worker threads load real .js entry points.
/** @type {import('jest').Config} */
module.exports = {
  rootDir: __dirname,
  roots: ['<rootDir>/dist/test'],
  testMatch: ['**/*.test.js'],
  testEnvironment: '<rootDir>/dist/test/support/node-environment.js',
  testTimeout: 30000,
  maxWorkers: 2,
};
