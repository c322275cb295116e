/** `npm run pubsub:ensure` as a child process against the file's emulator. */
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { TOPICS } from '../../alerts/pubsub/topology.js';
import {
  freshProject,
  needsPubSubEmulator,
  stopPubSubEmulator,
} from '../helpers/pubsub-emulator.js';
import { runCli } from '../helpers/run-cli.js';

test.after.always(stopPubSubEmulator);

const CLI = fileURLToPath(new URL('../../tools/pubsub-ensure.js', import.meta.url));

const run = (env: Record<string, string>) => runCli(CLI, [], env);

test('pubsub:ensure: prints a row per resource, all created, then all unchanged on a second run, exiting 0', async (t) => {
  const emulator = await needsPubSubEmulator(t);
  if (emulator === null) return;
  const env = {
    PUBSUB_EMULATOR_HOST: emulator.host,
    PUBSUB_PROJECT_ID: freshProject('cli'),
    INGEST_PUSH_ENDPOINT: 'http://127.0.0.1:9/alert-ingest',
  };
  const first = await run(env);
  t.is(first.code, 0, first.err);
  t.true(
    first.out.includes(`on the emulator at ${emulator.host}, project ${env.PUBSUB_PROJECT_ID}:`),
    first.out,
  );
  t.regex(
    first.out,
    new RegExp(`topic +created +projects/${env.PUBSUB_PROJECT_ID}/topics/${TOPICS.ingest}\\n`),
  );
  t.true(first.out.includes('8 created, 0 updated, 0 unchanged'), first.out);
  const second = await run(env);
  t.is(second.code, 0, second.err);
  t.true(second.out.includes('0 created, 0 updated, 8 unchanged'), second.out);
});

test('pubsub:ensure: without INGEST_PUSH_ENDPOINT it names the variable and exits 78; an unreachable emulator exits 1 with PUBSUB_ERR_ENSURE_FAILED', async (t) => {
  const missing = await run({ PUBSUB_EMULATOR_HOST: '127.0.0.1:1' });
  t.is(missing.code, 78);
  t.regex(missing.err, /^INGEST_PUSH_ENDPOINT=\(unset\): expected /);
  const down = await run({
    PUBSUB_EMULATOR_HOST: '127.0.0.1:1',
    INGEST_PUSH_ENDPOINT: 'http://127.0.0.1:9/x',
    PUBSUB_ENSURE_TIMEOUT_MS: '500',
  });
  t.is(down.code, 1, down.err);
  t.regex(down.err, /^PUBSUB_ERR_ENSURE_FAILED: describing /);
});
