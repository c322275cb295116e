/**
 * A group holds at most `maxGroupMembers` alerts: a source sending endless series with the same
 * group labels fills one group, whose flushes then read a bounded set. New fingerprints past the
 * cap are refused, never silently: one `alert.group_full` warning per group until its next
 * notification, which counts them (`refusedAlerts`); the members notify, resolve and leave as
 * ever, and a refused alert re-sent after one left joins. Run on the real SQLite engine store (in
 * memory) and on PostgreSQL (a new schema per test), with the real delivery worker and a
 * recording notifier (a test double for a receiver).
 */
import test from 'ava';
import { createDeliveryWorker } from '../../../alerts/engine/deliver.js';
import { createEngine } from '../../../alerts/engine/engine.js';
import { fingerprint } from '../../../alerts/engine/fingerprint.js';
import { parseEngineDefinitions } from '../../../alerts/engine/load-definitions.js';
import type { GroupNotification, Notifier } from '../../../alerts/engine/types.js';
import type { Stores } from '../../../alerts/store/open.js';
import type { IncomingAlert } from '../../../alerts/types.js';
import { sinkLogger } from '../../helpers/log-sink.js';
import { storeBackends } from '../../helpers/store-backends.js';

const T0 = 1_780_000_000_000;
const S = 1000;
const M = 60 * S;

const DEFS = `
route:
  receiver: team
  group_by: [alertname, target]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 1h
receivers: [{ name: team, integrations: [{ type: log }] }]
`;

const backends = await storeBackends('engine group bounds');

const pod = (p: string) => ({ alertname: 'InferDown', target: 'prod', pod: p });

let seq = 0;
const event = (
  labels: Record<string, string>,
  status: 'firing' | 'resolved',
  at: number,
): IncomingAlert => ({
  source: 'runwatch',
  dedupeKey: `k${seq++}`,
  // An incident (fires until its close): no resolve_timeout while the clock moves on.
  lifecycleId: `incident-${labels.pod}`,
  status,
  labels,
  annotations: {},
  // p0 first, p1 next, ...: the order a notification shows them in.
  startsAt: T0 + Number(labels.pod?.slice(1)) * S,
  endsAt: status === 'resolved' ? at : null,
});

async function rig(stores: Stores) {
  let clock = T0;
  const sink = sinkLogger('info');
  const sent: GroupNotification[] = [];
  const recorder: Notifier = {
    type: 'log',
    async send(n) {
      sent.push(n);
    },
  };
  const engine = createEngine({
    config: parseEngineDefinitions(DEFS, 'test.yaml'),
    store: stores.engine,
    log: sink.log,
    now: () => clock,
    maxGroupMembers: 3,
  });
  const worker = createDeliveryWorker({
    store: stores.engine,
    notifierFor: () => recorder,
    log: sink.log,
    now: () => clock,
  });
  const out = async (at: number, step: () => Promise<unknown>) => {
    clock = at;
    const before = sent.length;
    await step();
    await worker.run();
    return sent.slice(before).map((n) => ({
      reason: n.reason,
      alerts: n.alerts.map((a) => `${a.labels.pod}:${a.status}`),
      refusedAlerts: n.refusedAlerts,
    }));
  };
  return {
    engine,
    sink,
    sent,
    fire: (p: string, at: number) => out(at, () => engine.receive(event(pod(p), 'firing', at))),
    resolve: (p: string, at: number) =>
      out(at, () => engine.receive(event(pod(p), 'resolved', at))),
    tick: (at: number) => out(at, () => engine.flushDue()),
    full: () => sink.lines.filter((l) => l.event === 'alert.group_full'),
  };
}

for (const backend of backends) {
  const open = async () => {
    const stores = await backend.open();
    return stores;
  };

  test(`engine (${backend.name}): a full group refuses new alerts, logs it once and counts them in its next notification`, async (t) => {
    const stores = await open();
    const r = await rig(stores);
    for (const [i, p] of ['p0', 'p1', 'p2', 'p3'].entries()) await r.fire(p, T0 + i * S);
    const outcome = await r.engine.receive(event(pod('p4'), 'firing', T0 + 4 * S));
    t.like(outcome, { changed: false, refused: outcome.groups, flushed: [] });
    t.is(outcome.groups.length, 1);
    t.is(await stores.engine.getAlert(fingerprint(pod('p4'))), null, 'a refused alert is not kept');
    t.like(r.full(), [
      {
        severity: 'WARNING',
        event: 'alert.group_full',
        groupKey: r.full()[0]?.groupKey,
        receiver: 'team',
        limit: 3,
        fingerprint: fingerprint(pod('p3')),
      },
    ]);
    t.is(r.full().length, 1, 'one warning however many are refused');
    t.regex(String(r.full()[0]?.groupKey), /alertname="InferDown",target="prod"/);

    t.deepEqual(await r.tick(T0 + 30 * S), [
      {
        reason: 'first notification',
        alerts: ['p0:firing', 'p1:firing', 'p2:firing'],
        refusedAlerts: 2,
      },
    ]);
    t.like(
      r.sink.lines.find((l) => l.event === 'alert.notification_planned'),
      { refusedAlerts: 2, alerts: 3 },
    );

    // Refused again after the count was reported: a new warning, a new count.
    await r.fire('p3', T0 + M);
    t.is(r.full().length, 2);
    t.deepEqual(await r.resolve('p0', T0 + 2 * M), []);
    t.deepEqual(await r.tick(T0 + 30 * S + 5 * M), [
      {
        reason: 'some alerts resolved',
        alerts: ['p1:firing', 'p2:firing', 'p0:resolved'],
        refusedAlerts: 1,
      },
    ]);

    // p0 left the group: p3, sent again, joins and is notified as new.
    await r.fire('p3', T0 + 6 * M);
    t.is(r.full().length, 2, 'room: no refusal');
    t.deepEqual(await r.tick(T0 + 30 * S + 10 * M), [
      {
        reason: 'new alerts added',
        alerts: ['p1:firing', 'p2:firing', 'p3:firing'],
        refusedAlerts: undefined,
      },
    ]);
    const deliveries = await stores.engine.deliveries({ limit: 10 });
    t.is(deliveries.length, 3, 'one delivery per notification');
    t.true(deliveries.every((d) => d.status === 'delivered'));
  });

  test(`engine (${backend.name}): the members of a full group are never refused and notify as ever`, async (t) => {
    const stores = await open();
    const r = await rig(stores);
    for (const [i, p] of ['p0', 'p1', 'p2'].entries()) await r.fire(p, T0 + i * S);
    await r.tick(T0 + 30 * S);
    // A member re-sent with the group full is no refusal and keeps firing.
    await r.fire('p1', T0 + M);
    t.deepEqual(r.full(), []);
    t.deepEqual(await r.tick(T0 + 30 * S + 5 * M), []);
    t.deepEqual(await r.tick(T0 + 30 * S + 60 * M), [
      {
        reason: 'repeat interval elapsed',
        alerts: ['p0:firing', 'p1:firing', 'p2:firing'],
        refusedAlerts: undefined,
      },
    ]);
  });
}
