/**
 * The latency phase: a finding handed in-process to alert ingest (healthSweep's path with
 * Pub/Sub off: intake → engine.receive), then alertTick's own tick (functions/shared/
 * tick-runtime.ts: silences, flushDue, the delivery worker, prune), to a real HTTP server on
 * port 0 configured as the oncall receiver's webhook (RUNWATCH_ONCALL_WEBHOOK_URL) under the
 * default definitions.
 *
 * The timers are the default ones, but their waits are stepped over: the injected clock moves by
 * the route's group_wait between the hand-off and the tick, and the tick runs at once instead of
 * at the next minute. So the figure is the work on the path (two store transactions for intake,
 * the receive, the flush, the outbox claim, the POST), not the 30 s + up to one tick a real
 * notification also waits.
 *
 * Each finding is a new InferDown (critical) target, so each is a first notification of a new
 * group. The clock moves on by group_wait + 1 s per finding, so earlier groups come due (and,
 * resolve_timeout after their only finding, resolve) in later ticks, as in a deployment: those
 * ticks flush and deliver them too.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { groupKeyOf, matchRoutes } from '../../alerts/engine/routes.js';
import { ingestInProcess } from '../../alerts/ingest/in-process.js';
import type { Finding } from '../../alerts/types.js';
import { createTickRuntime } from '../../functions/shared/tick-runtime.js';
import type { Logger } from '../../lib/logger.js';
import type { Metrics } from '../lib/harness.js';
import { T0 } from './decisions.js';
import { type LatencySample, latencyMetrics } from './report.js';

export interface LatencyOptions {
  readonly storeUrl: string;
  readonly samples: number;
  readonly warmup: number;
  readonly log: Logger;
}

interface Arrival {
  readonly at: number;
}

/** A webhook receiver: the time each group's first firing notification arrived. */
async function startReceiver() {
  const firing = new Map<string, Arrival>();
  let requests = 0;
  const server = createServer((req: IncomingMessage, res) => {
    const at = performance.now();
    requests++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        groupKey: string;
        status: string;
      };
      if (body.status === 'firing' && !firing.has(body.groupKey)) firing.set(body.groupKey, { at });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    firing,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function latencyRound(run: string, options: LatencyOptions): Promise<Metrics> {
  const receiver = await startReceiver();
  let clock = T0;
  const runtime = createTickRuntime('alertTick', {
    env: {
      STORE_URL: options.storeUrl,
      ALERTS_PUBSUB: 'off',
      RUNWATCH_ONCALL_WEBHOOK_URL: receiver.url,
    },
    log: options.log,
    now: () => clock,
  });
  try {
    const { pipeline } = await runtime.context();
    const handOver = ingestInProcess(pipeline.intake, options.log, () => clock);
    const route = pipeline.definitions.route;
    const samples: LatencySample[] = [];
    let missing = 0;
    for (let i = 0; i < options.warmup + options.samples; i++) {
      clock += 1000;
      const target = `${run}-${i}`;
      const labels = { alertname: 'InferDown', target, severity: 'critical' };
      const finding: Finding = {
        alertname: 'InferDown',
        target,
        severity: 'critical',
        state: 'firing',
        ts: clock,
        labels,
        annotations: { summary: `${target} is down (bench finding ${i})` },
      };
      const [matched] = matchRoutes(route, labels);
      if (matched === undefined) throw new Error('the default routes take every alert');
      const groupKey = groupKeyOf(matched, labels);

      const began = performance.now();
      const { failed } = await handOver([finding], `${run}@${i}`);
      if (failed > 0) throw new Error(`finding ${i} was not handed over`);
      const handedOff = performance.now();
      clock += matched.groupWaitMs;
      const tick = await runtime.tick();
      const ticked = performance.now();
      if (Object.keys(tick.failed).length > 0) {
        throw new Error(`tick failed: ${JSON.stringify(tick.failed)}`);
      }
      const arrival = receiver.firing.get(groupKey);
      if (i < options.warmup) continue;
      if (arrival === undefined) {
        missing++;
        continue;
      }
      samples.push({
        handOffMs: handedOff - began,
        tickToWebhookMs: arrival.at - handedOff,
        tickMs: ticked - handedOff,
        totalMs: arrival.at - began,
      });
    }
    return {
      ...latencyMetrics(samples),
      'findings not at the webhook': missing,
      'webhook requests': receiver.requests(),
    };
  } finally {
    await runtime.close();
    await receiver.close();
  }
}
