// Tests that spawn child processes or assert coarse timings run one at a time, so that two
// drains never compete for the machine's two cores.
export default {
  files: ['build/test/**/*.process.test.js'],
  concurrency: 1,
  serial: true,
  nodeArguments: ['--throw-deprecation'],
  timeout: '90s',
};
