/**
 * `npm run dlq -- list|replay …`: lists the dead letters kept in the store and on a dead-letter
 * subscription without consuming them, and replays chosen ones to the topic they came from
 * (alerts/pubsub/replay.ts; docs/dead-letters.md). Arguments: tools/dlq-args.ts; settings:
 * tools/dlq-config.ts. Exits 0 when everything asked was done, 1 on a failure (each code and
 * message on stderr), 2 on a usage error, 78 on a configuration problem.
 */
import { openSubscriber, pullHeld, type SubscriberApi } from '../alerts/pubsub/dead-letter-pull.js';
import {
  createRepublisher,
  type DeadLetterRoute,
  deadLetterRoutes,
  fromPulled,
  type ReplayReport,
  readStoredDeadLetters,
  replayFromStore,
  replayFromSubscription,
} from '../alerts/pubsub/replay.js';
import {
  DeadLetterError,
  DLQ_ERR_USAGE,
  DLQ_EXIT_FAILED,
  DLQ_EXIT_OK,
  DLQ_EXIT_USAGE,
} from '../alerts/pubsub/replay-errors.js';
import { subscriptionPath, TOPOLOGY } from '../alerts/pubsub/topology.js';
import { openStores, type Stores } from '../alerts/store/open.js';
import { ConfigError, EXIT_CONFIG, formatProblem } from '../lib/config/problems.js';
import { RunwatchError } from '../lib/errors.js';
import {
  type DlqCommand,
  dlqUsage,
  type ListCommand,
  parseDlqArgs,
  type ReplayCommand,
} from './dlq-args.js';
import { type DlqConfig, loadDlqConfig } from './dlq-config.js';
import { deadLetterJson, renderDeadLetters, renderReplay, replayJson } from './dlq-output.js';
import type { PubSubTarget } from './pubsub-config.js';

const out = (text: string) => process.stdout.write(text);
const err = (text: string) => process.stderr.write(text);

/** What one run opened, closed at its end. */
class Resources {
  #stores: Stores | null = null;
  #subscriber: SubscriberApi | null = null;
  readonly #closers: (() => Promise<void>)[] = [];

  constructor(readonly config: DlqConfig) {}

  get pubsub(): PubSubTarget {
    if (this.config.pubsub === null) throw new Error('Pub/Sub was not configured');
    return this.config.pubsub;
  }

  async stores(): Promise<Stores> {
    this.#stores ??= await openStores(this.config.storeUrl, { platform: this.config.platform });
    return this.#stores;
  }

  async subscriber(): Promise<SubscriberApi> {
    this.#subscriber ??= await openSubscriber(this.pubsub);
    return this.#subscriber;
  }

  republisher(route: DeadLetterRoute, timeoutMs: number) {
    const r = createRepublisher({ topic: route.replayTo, ...this.pubsub, timeoutMs });
    this.#closers.push(() => r.close());
    return r;
  }

  async close(): Promise<void> {
    for (const close of this.#closers) await close().catch(() => {});
    await this.#subscriber?.close().catch(() => {});
    await this.#stores?.close().catch(() => {});
  }
}

/** Where a subscription is, when not on Google. */
function emulatorNote(target: PubSubTarget): string {
  return target.emulatorHost === undefined ? '' : ` (the emulator at ${target.emulatorHost})`;
}

async function list(cmd: ListCommand, route: DeadLetterRoute, r: Resources): Promise<number> {
  if (cmd.source !== 'subscription') {
    const letters = await readStoredDeadLetters((await r.stores()).ingest, {
      limit: cmd.limit,
      from: cmd.since,
    });
    if (cmd.json) out(letters.map((l) => `${JSON.stringify(deadLetterJson(l))}\n`).join(''));
    else {
      const since =
        cmd.since === undefined ? '' : `, received since ${new Date(cmd.since).toISOString()}`;
      out(
        renderDeadLetters(
          `Dead letters kept in the store (poison of ${route.replayTo}), ${letters.length} (at most ${cmd.limit}, oldest first${since}):`,
          letters,
        ),
      );
    }
  }
  if (cmd.source !== 'store') {
    if (!cmd.json && cmd.source === 'all') out('\n');
    const subscription = subscriptionPath(r.pubsub.projectId, route.subscription);
    const held = await pullHeld(await r.subscriber(), subscription, {
      limit: cmd.limit,
      timeoutMs: cmd.timeoutMs,
    });
    const letters = held.messages.map((m) => fromPulled(m, subscription));
    // Released before printing: the listing is done with them either way.
    await held.release();
    if (cmd.json) out(letters.map((l) => `${JSON.stringify(deadLetterJson(l))}\n`).join(''));
    else {
      out(
        renderDeadLetters(
          `Dead letters on ${subscription}${emulatorNote(r.pubsub)}, read and not consumed, ${letters.length} (at most ${cmd.limit}):`,
          letters,
        ),
      );
    }
  }
  return DLQ_EXIT_OK;
}

async function replay(cmd: ReplayCommand, route: DeadLetterRoute, r: Resources): Promise<number> {
  const { publish } = r.republisher(route, cmd.timeoutMs);
  const common = { ids: cmd.ids, route, publish, dryRun: cmd.dryRun };
  let report: ReplayReport;
  if (cmd.source === 'store') {
    report = await replayFromStore((await r.stores()).ingest, {
      ...common,
      limit: cmd.limit,
      from: cmd.since,
    });
  } else {
    const subscription = subscriptionPath(r.pubsub.projectId, route.subscription);
    const held = await pullHeld(await r.subscriber(), subscription, {
      limit: cmd.limit,
      timeoutMs: cmd.timeoutMs,
    });
    report = await replayFromSubscription(held, common);
  }
  out(cmd.json ? replayJson(report) : renderReplay(report));
  for (const f of report.failures) err(`${f.error.code}: ${f.error.message}\n`);
  return report.failures.length === 0 ? DLQ_EXIT_OK : DLQ_EXIT_FAILED;
}

async function main(argv: readonly string[]): Promise<number> {
  const routes = deadLetterRoutes(TOPOLOGY);
  const topics = {
    all: routes.map((route) => route.topic),
    store: routes.find((route) => route.store)?.topic ?? '',
  };
  let cmd: DlqCommand;
  try {
    cmd = parseDlqArgs(argv, topics);
  } catch (e) {
    if (!(e instanceof DeadLetterError) || e.code !== DLQ_ERR_USAGE) throw e;
    err(`${e.code}: ${e.message}\n${dlqUsage(topics)}\n`);
    return DLQ_EXIT_USAGE;
  }
  if (cmd.command === 'help') {
    out(`${dlqUsage(topics)}\n`);
    return DLQ_EXIT_OK;
  }
  const route = routes.find((candidate) => candidate.topic === cmd.topic) as DeadLetterRoute;
  let config: DlqConfig;
  try {
    config = loadDlqConfig(cmd.command === 'replay' || cmd.source !== 'store');
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const p of e.problems) err(`${formatProblem(p)}\n`);
    return EXIT_CONFIG;
  }
  const resources = new Resources(config);
  try {
    return cmd.command === 'list'
      ? await list(cmd, route, resources)
      : await replay(cmd, route, resources);
  } catch (e) {
    if (!(e instanceof RunwatchError)) throw e;
    err(`${e.code}: ${e.message}\n`);
    return DLQ_EXIT_FAILED;
  } finally {
    await resources.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
