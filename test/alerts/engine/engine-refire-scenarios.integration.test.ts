/**
 * Engine scenarios for an alert the receiver saw firing that stops firing and starts again before
 * its group's next flush, so that at the flush it is pending (waiting for `for`, or held by
 * min_flip_interval) or has already resolved again without firing. Each runs on the real SQLite
 * engine store (in memory) and on PostgreSQL (a new schema per row), as
 * engine-scenarios.integration.test.ts does: a script of events at given minutes, a tick every
 * minute (flush the due groups, deliver), and what the receiver got, read through the real delivery
 * worker and a recording notifier (a test double for a receiver).
 *
 * Each notification reads `<minute> <reason>: <alert>, ...` (firing first), an alert as
 * `<alertname> firing@<startsAt minute>` or `<alertname> resolved@<startsAt>-<endsAt minute>`.
 */
import test from 'ava';
import type { Stores } from '../../../alerts/store/open.js';
import { minute, runScript, type Script } from '../../helpers/engine-script.js';
import { storeBackends } from '../../helpers/store-backends.js';

interface Scenario extends Script {
  readonly name: string;
  /** What receiver `r` got, in order. */
  readonly want: readonly string[];
}

const down = { alertname: 'InferDown', target: 'prod', severity: 'critical' };
const latency = { alertname: 'InferLatencyHigh', target: 'prod', severity: 'warning' };

/** One receiver `r`, groups by target, timers and flap control as given. */
const DEFS = (route: string, flap: string, receiver = '') => `
route: { receiver: r, group_by: [target], ${route} }
receivers: [{ name: r, ${receiver} integrations: [{ type: log }] }]
flap_control: { defaults: { ${flap} } }`;

const scenarios: readonly Scenario[] = [
  {
    name: 'an alert that resolves and is pending for `for` again at the next flush is resolved there, then notified anew when it fires',
    definitions: DEFS('group_wait: 0s, group_interval: 5m', 'for: 2m'),
    steps: [
      { at: 0, fire: down, incident: 'i1' },
      { at: 3, resolve: down, incident: 'i1' },
      { at: 6, fire: down, incident: 'i2' },
    ],
    until: 14,
    want: [
      '2 first notification: InferDown firing@0',
      // The row keeps one streak's start: the earlier one shows from when it fired.
      '7 all alerts resolved: InferDown resolved@2-3',
      '12 new alerts added: InferDown firing@6',
    ],
  },
  {
    name: 'an alert held pending by min_flip_interval at the next flush is resolved there, then notified when the hold ends',
    definitions: DEFS('group_wait: 0s, group_interval: 5m', 'min_flip_interval: 10m'),
    steps: [
      { at: 0, fire: down, incident: 'i1' },
      { at: 11, resolve: down, incident: 'i1' },
      { at: 13, fire: down, incident: 'i2' },
    ],
    until: 27,
    want: [
      '0 first notification: InferDown firing@0',
      '15 all alerts resolved: InferDown resolved@0-11',
      '25 new alerts added: InferDown firing@13',
    ],
  },
  {
    name: 'an alert held pending beside one still firing is shown resolved (some alerts resolved), then added again',
    definitions: DEFS('group_wait: 30s, group_interval: 5m', 'min_flip_interval: 10m'),
    steps: [
      { at: 0, fire: down, incident: 'i1' },
      { at: 0, fire: latency, incident: 'i2' },
      { at: 12, resolve: down, incident: 'i1' },
      { at: 14, fire: down, incident: 'i3' },
    ],
    until: 27,
    want: [
      '1 first notification: InferLatencyHigh firing@0, InferDown firing@0',
      '16 some alerts resolved: InferLatencyHigh firing@0, InferDown resolved@0-12',
      '26 new alerts added: InferLatencyHigh firing@0, InferDown firing@14',
    ],
  },
  {
    name: 'an alert that resolves, fires again and resolves while pending before the next flush is resolved once there',
    definitions: DEFS('group_wait: 0s, group_interval: 5m', 'for: 2m'),
    steps: [
      { at: 0, fire: down, incident: 'i1' },
      { at: 3, resolve: down, incident: 'i1' },
      { at: 5, fire: down, incident: 'i2' },
      { at: 6, resolve: down, incident: 'i2' },
    ],
    until: 20,
    want: [
      '2 first notification: InferDown firing@0',
      '7 all alerts resolved: InferDown resolved@2-3',
    ],
  },
  {
    name: 'without send_resolved an alert pending again at the next flush sends nothing there, and its new streak is new alerts added',
    definitions: DEFS('group_wait: 0s, group_interval: 5m', 'for: 2m', 'send_resolved: false,'),
    steps: [
      { at: 0, fire: down, incident: 'i1' },
      { at: 3, resolve: down, incident: 'i1' },
      { at: 6, fire: down, incident: 'i2' },
    ],
    until: 14,
    want: ['2 first notification: InferDown firing@0', '12 new alerts added: InferDown firing@6'],
  },
  {
    // Alertmanager's needsUpdate: without send_resolved a resolved alert beside firing ones is no
    // reason to notify, so the log still shows it firing and its new streak is no news either,
    // until the repeat interval.
    name: 'without send_resolved an alert pending again beside one still firing changes nothing until the repeat interval',
    definitions: DEFS(
      'group_wait: 30s, group_interval: 5m, repeat_interval: 30m',
      'min_flip_interval: 10m',
      'send_resolved: false,',
    ),
    steps: [
      { at: 0, fire: down, incident: 'i1' },
      { at: 0, fire: latency, incident: 'i2' },
      { at: 12, resolve: down, incident: 'i1' },
      { at: 14, fire: down, incident: 'i3' },
    ],
    until: 32,
    want: [
      '1 first notification: InferLatencyHigh firing@0, InferDown firing@0',
      '31 repeat interval elapsed: InferLatencyHigh firing@0, InferDown firing@14',
    ],
  },
];

const backends = await storeBackends('engine re-fire scenarios');

async function run(stores: Stores, s: Scenario): Promise<string[]> {
  const got: string[] = [];
  await runScript(stores, s, (n) => {
    const alerts = n.alerts.map(
      (a) =>
        `${a.labels.alertname} ${a.status}@${minute(a.startsAt)}${a.endsAt === null ? '' : `-${minute(a.endsAt)}`}`,
    );
    got.push(`${minute(n.createdAt)} ${n.reason}: ${alerts.join(', ')}`);
  });
  return got;
}

for (const backend of backends) {
  for (const s of scenarios) {
    test(`engine (${backend.name}): ${s.name}`, async (t) => {
      const stores = await backend.open();
      t.deepEqual(await run(stores, s), s.want);
    });
  }
}
