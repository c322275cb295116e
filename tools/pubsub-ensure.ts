/**
 * `npm run pubsub:ensure`: creates or updates every topic and subscription of
 * `alerts/definitions/pubsub.yaml` on the emulator (PUBSUB_EMULATOR_HOST) or a real project, and
 * prints what it did, one row per resource. Settings: tools/pubsub-config.ts. Exits 0 when the
 * project holds the topology, 78 on a configuration problem, 1 on any other failure (its code
 * and message on stderr).
 */
import { PubSub } from '@google-cloud/pubsub';
import { ensurePubSub, renderEnsureTable } from '../alerts/pubsub/ensure.js';
import { ENSURE_EXIT_FAILED } from '../alerts/pubsub/errors.js';
import { TOPOLOGY } from '../alerts/pubsub/topology.js';
import { ConfigError, EXIT_CONFIG, formatProblem } from '../lib/config/problems.js';
import { RunwatchError } from '../lib/errors.js';
import { loadPubSubEnsureConfig } from './pubsub-config.js';

async function main(): Promise<number> {
  let config: ReturnType<typeof loadPubSubEnsureConfig>;
  try {
    config = loadPubSubEnsureConfig();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const p of e.problems) process.stderr.write(`${formatProblem(p)}\n`);
    return EXIT_CONFIG;
  }
  const client = new PubSub({
    projectId: config.projectId,
    ...(config.emulatorHost === undefined
      ? {}
      : { apiEndpoint: config.emulatorHost, emulatorMode: true }),
  });
  try {
    const results = await ensurePubSub(client, TOPOLOGY, config);
    const where =
      config.emulatorHost === undefined
        ? `project ${config.projectId}`
        : `the emulator at ${config.emulatorHost}, project ${config.projectId}`;
    process.stdout.write(
      renderEnsureTable(results, `Pub/Sub topology ${TOPOLOGY.file} on ${where}:`),
    );
    return 0;
  } catch (e) {
    if (!(e instanceof RunwatchError)) throw e;
    process.stderr.write(`${e.code}: ${e.message}\n`);
    return ENSURE_EXIT_FAILED;
  } finally {
    await client.close();
  }
}

process.exitCode = await main();
