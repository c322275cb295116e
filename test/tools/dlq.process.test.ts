/**
 * `npm run dlq` as a child process (build/tools/dlq.js, what the script runs) against the file's
 * emulator and a SQLite store in a temporary directory: list, replay, dry run, failures and usage
 * errors with their exit codes.
 */
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';
import { createDeadLetterPublisher } from '../../alerts/pubsub/dead-letter.js';
import {
  openSubscriber,
  pullHeld,
  type SubscriberApi,
} from '../../alerts/pubsub/dead-letter-pull.js';
import { REPLAYED_FROM_ATTRIBUTE } from '../../alerts/pubsub/replay.js';
import { subscriptionPath, TOPICS } from '../../alerts/pubsub/topology.js';
import { openStores } from '../../alerts/store/open.js';
import type { PubSubEmulator } from '../../stack/pubsub-emulator.js';
import { INCIDENT_METRIC_OPEN } from '../alerts/ingest/fixtures/gcp-formats.js';
import { sqliteStoreUrl } from '../helpers/alert-ingest.js';
import { createDeadLetterTopology, deadLetterForReal } from '../helpers/dead-letters.js';
import {
  emulatorClient,
  freshProject,
  needsPubSubEmulator,
  stopPubSubEmulator,
} from '../helpers/pubsub-emulator.js';
import { runCli } from '../helpers/run-cli.js';

test.after.always(stopPubSubEmulator);

const CLI = fileURLToPath(new URL('../../tools/dlq.js', import.meta.url));

const run = (args: readonly string[], env: Record<string, string> = {}) => runCli(CLI, args, env);

const lines = (text: string): Record<string, unknown>[] =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

interface Rig {
  readonly emulator: PubSubEmulator;
  readonly projectId: string;
  readonly api: SubscriberApi;
  readonly env: Record<string, string>;
  /** The Pub/Sub dead letter's own messageId. */
  readonly deadLetterId: string;
  /** A pull subscription of alert-ingest created after the dead letters, in full. */
  readonly tap: string;
  /** Every message on the tap now, acknowledged. */
  drainTap(): Promise<{ data: Buffer; attributes: Readonly<Record<string, string>> }[]>;
}

/**
 * A fresh project with the dead-letter topology, one real Pub/Sub dead letter and one alertIngest
 * dead letter on alert-ingest-dead-letter, and one poison message in a new SQLite store.
 */
async function withRig(t: ExecutionContext, fn: (rig: Rig) => Promise<void>): Promise<void> {
  const emulator = await needsPubSubEmulator(t);
  if (emulator === null) return;
  const projectId = freshProject('dlq');
  const client = emulatorClient(emulator, projectId);
  const api = await openSubscriber({ projectId, emulatorHost: emulator.host });
  const storeUrl = sqliteStoreUrl();
  try {
    await createDeadLetterTopology(client);
    const letter = await deadLetterForReal(client, api, projectId, {
      topic: TOPICS.ingest,
      deadLetterTopic: TOPICS.ingestDeadLetter,
      data: Buffer.from(INCIDENT_METRIC_OPEN),
      attributes: { sender: 'monitoring' },
    });
    const poison = {
      messageId: 'poison-9',
      code: 'INGEST_ERR_UNKNOWN_SHAPE',
      reason: 'the payload is JSON but none of the accepted formats',
      data: Buffer.from('{"hello":"world"}'),
      attributes: { channel: 'sink' },
      publishTime: Date.parse('2026-12-07T09:00:00Z'),
      receivedAt: Date.parse('2026-12-07T09:00:02Z'),
    };
    const stores = await openStores(storeUrl, { platform: 'local' });
    try {
      await stores.ingest.recordPoison(poison);
      await stores.ingest.markDeadLettered(poison.messageId, poison.receivedAt + 5);
    } finally {
      await stores.close();
    }
    const sender = createDeadLetterPublisher({
      topic: TOPICS.ingestDeadLetter,
      projectId,
      emulatorHost: emulator.host,
      timeoutMs: 5000,
    });
    try {
      await sender.send(poison);
    } finally {
      await sender.close();
    }
    await client.topic(TOPICS.ingest).createSubscription('tap-ingest');
    const tap = subscriptionPath(projectId, 'tap-ingest');
    await fn({
      emulator,
      projectId,
      api,
      env: {
        STORE_URL: storeUrl,
        PUBSUB_EMULATOR_HOST: emulator.host,
        PUBSUB_PROJECT_ID: projectId,
      },
      deadLetterId: letter.deadLetterId,
      tap,
      drainTap: async () => {
        const held = await pullHeld(api, tap, { limit: 100, timeoutMs: 5000 });
        for (const m of held.messages) await held.ack(m.messageId);
        return held.messages.map((m) => ({ data: m.data, attributes: m.attributes }));
      },
    });
  } finally {
    await api.close();
    await client.close();
  }
}

test('dlq list: shows the store poison and both subscription dead letters, and a second list shows them again (nothing consumed)', async (t) => {
  await withRig(t, async (rig) => {
    const first = await run(['list', '--json'], rig.env);
    t.is(first.code, 0, first.err);
    const rows = lines(first.out);
    t.is(rows.length, 3, first.out);
    t.like(
      rows.find((r) => r.source === 'store'),
      {
        messageId: 'poison-9',
        code: 'INGEST_ERR_UNKNOWN_SHAPE',
        reason: 'the payload is JSON but none of the accepted formats',
        receivedAt: '2026-12-07T09:00:02.000Z',
        deadLetteredAt: '2026-12-07T09:00:02.005Z',
        size: 17,
      },
    );
    t.like(
      rows.find((r) => r.messageId === rig.deadLetterId),
      { source: 'subscription', deliveryCount: 5, size: INCIDENT_METRIC_OPEN.length, code: null },
    );
    t.regex(
      String(rows.find((r) => r.messageId === rig.deadLetterId)?.sourceSubscription),
      /^nacker-/,
    );
    t.like(
      rows.find((r) => r.source === 'subscription' && r.code !== null),
      { code: 'INGEST_ERR_UNKNOWN_SHAPE', originalMessageId: 'poison-9', deliveryCount: null },
    );
    const second = await run(['list', '--json'], rig.env);
    t.is(second.code, 0, second.err);
    t.deepEqual(
      lines(second.out)
        .map((r) => r.messageId)
        .sort(),
      rows.map((r) => r.messageId).sort(),
    );
    const table = await run(['list'], rig.env);
    t.is(table.code, 0, table.err);
    t.regex(table.out, /Dead letters kept in the store \(poison of alert-ingest\), 1 /);
    t.regex(table.out, /read and not consumed, 2 \(at most 100\):/);
    t.regex(
      table.out,
      /MESSAGE ID +CODE +RECEIVED +DEAD-LETTERED +SIZE +REASON\n +poison-9 +INGEST_ERR_UNKNOWN_SHAPE/,
    );
  });
});

test('dlq replay: --id republishes that dead letter to alert-ingest cleaned and marked, acknowledges it, and the next list no longer shows it', async (t) => {
  await withRig(t, async (rig) => {
    const replay = await run(['replay', '--id', rig.deadLetterId], rig.env);
    t.is(replay.code, 0, replay.err);
    t.regex(replay.out, new RegExp(`replayed +${rig.deadLetterId} → alert-ingest as \\S+`));
    t.regex(replay.out, /1 replayed to alert-ingest, 0 failed, 0 not tried/);
    const arrived = await rig.drainTap();
    t.is(arrived.length, 1);
    t.is(arrived[0]?.data.toString(), INCIDENT_METRIC_OPEN);
    t.deepEqual(arrived[0]?.attributes, {
      sender: 'monitoring',
      [REPLAYED_FROM_ATTRIBUTE]: rig.deadLetterId,
    });
    const after = await run(['list', '--source', 'subscription', '--json'], rig.env);
    t.is(after.code, 0, after.err);
    const ids = lines(after.out).map((r) => r.messageId);
    t.is(ids.length, 1, 'the other dead letter stays');
    t.false(ids.includes(rig.deadLetterId));
  });
});

test('dlq replay: --dry-run and an unknown --id change nothing; a missing source topic exits 1 and leaves the dead letters', async (t) => {
  await withRig(t, async (rig) => {
    const dry = await run(['replay', '--all', '--dry-run', '--json'], rig.env);
    t.is(dry.code, 0, dry.err);
    const planned = lines(dry.out);
    t.is(planned.length, 2);
    t.true(planned.every((p) => p.dryRun === true && p.replayedAs === null));
    const fromStore = await run(['replay', '--source', 'store', '--all', '--dry-run'], rig.env);
    t.is(fromStore.code, 0, fromStore.err);
    t.regex(
      fromStore.out,
      /would replay +poison-9 → alert-ingest +attributes: channel, runwatch_replayed_from/,
    );

    const unknown = await run(['replay', '--id', 'nope-1'], rig.env);
    t.is(unknown.code, 1);
    t.regex(
      unknown.err,
      /^DLQ_ERR_UNKNOWN_ID: --id "nope-1": not among the 2 dead letters read from /,
    );
    t.deepEqual(await rig.drainTap(), [], 'nothing was published');

    const client = emulatorClient(rig.emulator, rig.projectId);
    try {
      await client.topic(TOPICS.ingest).delete();
    } finally {
      await client.close();
    }
    const failed = await run(['replay', '--all', '--timeout-ms', '2000'], rig.env);
    t.is(failed.code, 1);
    t.regex(
      failed.err,
      /^DLQ_ERR_PUBLISH_FAILED: replaying \S+ to alert-ingest failed, so it stays where it was: gRPC status 5/,
    );
    t.regex(failed.out, /0 replayed to alert-ingest, 1 failed, 1 not tried/);
    const still = await run(['list', '--source', 'subscription', '--json'], rig.env);
    t.is(lines(still.out).length, 2, 'both dead letters stay');
  });
});

test('dlq: usage errors exit 2 naming the argument; an unreachable Pub/Sub exits 1 with DLQ_ERR_PULL_FAILED', async (t) => {
  const cases: [string[], RegExp][] = [
    [[], /^DLQ_ERR_USAGE: no command given; expected list or replay/],
    [['purge'], /^DLQ_ERR_USAGE: unknown command "purge"; expected list or replay/],
    [['list', '--bogus'], /^DLQ_ERR_USAGE: Unknown option '--bogus'\n/],
    [
      ['list', '--limit', '1001'],
      /^DLQ_ERR_USAGE: --limit is "1001"; expected an integer from 1 to 1000/,
    ],
    [['list', '--limit'], /^DLQ_ERR_USAGE: Option '--limit <value>' argument missing/],
    [['list', '--all'], /^DLQ_ERR_USAGE: --all is an option of replay, not of list/],
    [
      ['list', '--topic', 'alerts'],
      /^DLQ_ERR_USAGE: --topic is "alerts"; expected alert-ingest-dead-letter or alerts-dead-letter/,
    ],
    [
      ['list', '--source', 'store', '--topic', 'alerts-dead-letter'],
      /^DLQ_ERR_USAGE: --source store with --topic alerts-dead-letter: /,
    ],
    [
      ['list', '--since', 'yesterday'],
      /^DLQ_ERR_USAGE: --since is "yesterday"; expected an ISO 8601 time/,
    ],
    [['replay'], /^DLQ_ERR_USAGE: replay needs --id MESSAGE_ID \(one or more\) or --all/],
    [['replay', '--all', '--id', 'x'], /^DLQ_ERR_USAGE: --id and --all do not go together/],
    [['replay', '--all', 'extra'], /^DLQ_ERR_USAGE: unexpected argument "extra" after replay/],
  ];
  for (const [args, expected] of cases) {
    const r = await run(args);
    t.is(r.code, 2, `${args.join(' ')}: ${r.err}`);
    t.regex(r.err, expected, args.join(' '));
    t.regex(r.err, /usage: npm run dlq -- list/, 'the usage follows');
    t.is(r.out, '');
  }
  const help = await run(['--help']);
  t.is(help.code, 0);
  t.regex(help.out, /^usage: npm run dlq -- list/);

  const down = await run(['list', '--source', 'subscription', '--timeout-ms', '500'], {
    PUBSUB_EMULATOR_HOST: '127.0.0.1:1',
  });
  t.is(down.code, 1, down.err);
  t.regex(
    down.err,
    /^DLQ_ERR_PULL_FAILED: describing projects\/runwatch-local\/subscriptions\/alert-ingest-dead-letter-keep failed: gRPC status 4: /,
  );
  const noProject = await run(['list', '--source', 'subscription']);
  t.is(noProject.code, 78);
  t.regex(noProject.err, /^PUBSUB_PROJECT_ID=\(unset\): expected a project id/);
});
