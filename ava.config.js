// In-process tests: unit and integration tiers, run concurrently.
export default {
  files: ['build/test/**/*.test.js', '!build/test/**/*.process.test.js'],
  nodeArguments: ['--throw-deprecation'],
  timeout: '60s',
};
