/**
 * `npm run config -- --env production [--platform cloud-run|kubernetes|local]` prints the resolved
 * configuration as JSON, with secrets shown as references (variable, file, key ids) and connection
 * URLs with their passwords blanked. Deploy tooling
 * consumes this output. Problems print one per line and exit 78, as at service start-up.
 */
import { parseArgs } from 'node:util';
import { ConfigError, EXIT_CONFIG, formatProblem } from '../../lib/config/problems.js';
import { redactUrl } from '../../lib/redact.js';
import { ENVIRONMENTS, loadServiceConfig, PLATFORMS } from './index.js';

const { values } = parseArgs({
  options: { env: { type: 'string' }, platform: { type: 'string' } },
  strict: true,
});

const env: Record<string, string | undefined> = { ...process.env };
if (values.env !== undefined) env.ENVIRONMENT = values.env;
if (values.platform !== undefined) {
  if (!(PLATFORMS as readonly string[]).includes(values.platform)) {
    process.stderr.write(
      `--platform=${JSON.stringify(values.platform)}: expected one of ${PLATFORMS.join(', ')}\n`,
    );
    process.exit(EXIT_CONFIG);
  }
  delete env.K_SERVICE;
  delete env.KUBERNETES_SERVICE_HOST;
  if (values.platform === 'cloud-run') env.K_SERVICE = 'runwatch';
  if (values.platform === 'kubernetes') env.KUBERNETES_SERVICE_HOST = '10.0.0.1';
}
if (env.ENVIRONMENT === undefined) {
  process.stderr.write(`--env is required: one of ${ENVIRONMENTS.join(', ')}\n`);
  process.exit(EXIT_CONFIG);
}

try {
  const { config, warnings } = loadServiceConfig(env);
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  // Key sets print as references already; a connection URL (RATE_LIMIT_REDIS_URL) prints with
  // its password blanked, and so would any other string that holds one.
  const printable = (_key: string, value: unknown) =>
    typeof value === 'string' ? redactUrl(value) : value;
  process.stdout.write(`${JSON.stringify(config, printable, 2)}\n`);
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  for (const p of e.problems) process.stderr.write(`${formatProblem(p)}\n`);
  process.exit(EXIT_CONFIG);
}
