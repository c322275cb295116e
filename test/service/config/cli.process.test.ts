/**
 * `npm run config` (build/service/config/cli.js) as deploy tooling runs it: a child process with
 * the operator's environment, printing the resolved configuration.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';

const CLI = fileURLToPath(new URL('../../../service/config/cli.js', import.meta.url));
const run = promisify(execFile);

test('config cli: a Redis URL with a password prints with the password blanked, and no secret value appears anywhere', async (t) => {
  const env = {
    PATH: process.env.PATH ?? '',
    AUTH_MODE: 'api-key',
    API_KEYS: 'client-key-0123456789abcdef',
    ADMIN_API_KEYS: 'admin-key-0123456789abcdef',
    RATE_LIMIT_REDIS_URL: 'redis://:hunter2-secret@10.0.0.3:6379',
  };
  const { stdout } = await run(
    process.execPath,
    [CLI, '--env', 'production', '--platform', 'cloud-run'],
    { env },
  );
  const printed = JSON.parse(stdout) as { rateLimit: { redisUrl: string } };
  t.is(printed.rateLimit.redisUrl, 'redis://:[redacted]@10.0.0.3:6379');
  for (const secret of [
    'hunter2-secret',
    'client-key-0123456789abcdef',
    'admin-key-0123456789abcdef',
  ]) {
    t.false(stdout.includes(secret), secret);
  }
});
