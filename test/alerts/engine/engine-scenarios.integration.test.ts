/**
 * Engine scenarios as a table, each run on the real SQLite engine store (in memory) and on
 * PostgreSQL (a new schema per row): a script of events at given minutes, a tick every minute
 * (flush the due groups, deliver), and what each receiver got, in order. Covers flap control
 * across re-fires (keep_firing_for, min_flip_interval), send_resolved: false, a change of the
 * definitions between events (routes inserted, a route's receiver changed, a route removed), and
 * inhibition by sources in other groups evaluated at the flush time. What a receiver gets is read
 * through the real delivery worker and a recording notifier (a test double for a receiver).
 */
import test from 'ava';
import type { Stores } from '../../../alerts/store/open.js';
import { M, runScript, type Script, T0 } from '../../helpers/engine-script.js';
import { storeBackends } from '../../helpers/store-backends.js';

interface Scenario extends Script {
  readonly name: string;
  /**
   * Per receiver, what it got: `<minute> <reason>: <status>@<startsAt minute>, ...` (alerts
   * firing first). A receiver that got nothing is absent.
   */
  readonly want: Readonly<Record<string, readonly string[]>>;
}

const down = { alertname: 'InferDown', target: 'prod', severity: 'critical' };
const absent = { alertname: 'InferTargetAbsent', target: 'prod', severity: 'critical' };
const latency = { alertname: 'InferLatencyHigh', target: 'prod', severity: 'warning' };

const ONE = (extra: string, receiver = '{ name: r, integrations: [{ type: log }] }') => `
route: { receiver: r, group_by: [alertname], group_wait: 0s, group_interval: 1m }
receivers: [${receiver}]
${extra}`;

const RECEIVERS = `
receivers:
  - { name: default, integrations: [{ type: log }] }
  - { name: oncall, integrations: [{ type: log }] }
  - { name: pager, integrations: [{ type: log }] }
  - { name: info, integrations: [{ type: log }] }
`;
const ROUTES = (children: string) => `
route:
  receiver: default
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1m
  routes: [${children}]
${RECEIVERS}`;
const CRITICAL_ONCALL = `{ matchers: ['severity="critical"'], receiver: oncall }`;
const CRITICAL_PAGER = `{ matchers: ['severity="critical"'], receiver: pager }`;
const INFO_INFO = `{ matchers: ['severity="info"'], receiver: info }`;

const INHIBIT_RULES = `
inhibit_rules:
  - source_matchers: ['alertname="InferDown"']
    target_matchers: ['alertname="InferLatencyHigh"']
    equal: [target]
`;

const scenarios: readonly Scenario[] = [
  {
    name: 'an alert that fires again within keep_firing_for and then resolves for good is resolved once, with its first start',
    definitions: ONE('flap_control: { defaults: { keep_firing_for: 10m } }'),
    steps: [
      { at: 0, fire: down },
      { at: 3, resolve: down },
      { at: 6, fire: down },
      { at: 8, resolve: down },
    ],
    until: 30,
    want: { r: ['0 first notification: firing@0', '18 all alerts resolved: resolved@0'] },
  },
  {
    name: 'an alert held firing by min_flip_interval that fires again and then resolves is resolved once the hold ends',
    definitions: ONE('flap_control: { defaults: { min_flip_interval: 10m } }'),
    steps: [
      { at: 0, fire: down },
      { at: 3, resolve: down },
      { at: 6, fire: down },
      { at: 8, resolve: down },
    ],
    until: 30,
    want: { r: ['0 first notification: firing@0', '10 all alerts resolved: resolved@0'] },
  },
  {
    name: 'an incident that reopens within min_flip_interval is notified when the interval ends, not dropped',
    definitions: `
route: { receiver: r, group_by: [alertname], group_wait: 30s, group_interval: 5m }
receivers: [{ name: r, integrations: [{ type: log }] }]
flap_control: { defaults: { min_flip_interval: 10m } }`,
    steps: [
      { at: 0, fire: down, incident: 'i1' },
      { at: 11, resolve: down, incident: 'i1' },
      { at: 16, fire: down, incident: 'i2' },
    ],
    until: 120,
    want: {
      r: [
        '1 first notification: firing@0',
        '11 all alerts resolved: resolved@0',
        '21 new alerts added: firing@16',
      ],
    },
  },
  {
    name: 'without send_resolved an alert that resolves sends nothing more (all alerts resolved included)',
    definitions: ONE('', '{ name: r, send_resolved: false, integrations: [{ type: log }] }'),
    steps: [
      { at: 0, fire: down },
      { at: 2, resolve: down },
    ],
    until: 10,
    want: { r: ['0 first notification: firing@0'] },
  },
  {
    name: 'a route inserted before an alert’s route keeps its group: one page, and the resolve to the same receiver',
    definitions: ROUTES(CRITICAL_ONCALL),
    steps: [
      { at: 0, fire: down },
      { at: 2, definitions: ROUTES(`${INFO_INFO}, ${CRITICAL_ONCALL}`) },
      { at: 2, fire: down },
      { at: 4, resolve: down },
    ],
    until: 8,
    want: { oncall: ['0 first notification: firing@0', '4 all alerts resolved: resolved@0'] },
  },
  {
    name: 'routes reordered keep their groups',
    definitions: ROUTES(`${CRITICAL_ONCALL}, ${INFO_INFO}`),
    steps: [
      { at: 0, fire: down },
      { at: 0, fire: { ...down, alertname: 'Hint', severity: 'info' } },
      { at: 2, definitions: ROUTES(`${INFO_INFO}, ${CRITICAL_ONCALL}`) },
      { at: 2, fire: down },
      { at: 2, fire: { ...down, alertname: 'Hint', severity: 'info' } },
    ],
    until: 6,
    want: {
      oncall: ['0 first notification: firing@0'],
      info: ['0 first notification: firing@0'],
    },
  },
  {
    name: 'a route whose receiver changes: the old receiver gets one resolve, the new one a first notification',
    definitions: ROUTES(CRITICAL_ONCALL),
    steps: [
      { at: 0, fire: down },
      { at: 2, definitions: ROUTES(CRITICAL_PAGER) },
      { at: 2, fire: down },
      { at: 5, resolve: down },
    ],
    until: 10,
    want: {
      oncall: ['0 first notification: firing@0', '2 all alerts resolved: resolved@0'],
      pager: ['2 first notification: firing@0', '5 all alerts resolved: resolved@0'],
    },
  },
  {
    name: 'a route removed: a re-sent alert moves to the root (one resolve to the old receiver); one not re-sent stays, and its close goes to the old receiver',
    definitions: ROUTES(CRITICAL_ONCALL),
    steps: [
      ...Array.from({ length: 7 }, (_, i) => ({ at: i, fire: down })),
      { at: 0, fire: absent, incident: 'i1' },
      { at: 2, definitions: ROUTES('') },
      { at: 6, resolve: absent, incident: 'i1' },
    ],
    until: 8,
    want: {
      oncall: [
        '0 first notification: firing@0',
        '0 first notification: firing@0',
        '2 all alerts resolved: resolved@0',
        '6 all alerts resolved: resolved@0',
      ],
      default: ['2 first notification: firing@0'],
    },
  },
  {
    name: 'an alert that leaves a group before the group notified it goes without a word there',
    definitions: ROUTES(
      `{ matchers: ['severity="critical"'], receiver: oncall, group_wait: 10m, group_interval: 10m }`,
    ),
    steps: [
      { at: 0, fire: down, incident: 'i1' },
      { at: 1, definitions: ROUTES(CRITICAL_PAGER) },
      { at: 1, fire: down, incident: 'i1' },
    ],
    until: 25,
    want: { pager: ['1 first notification: firing@0'] },
  },
  {
    name: 'an inhibiting source past its resolve_timeout stops muting at the target’s flush, before its own group flushes',
    definitions: `
global: { resolve_timeout: 5m }
route:
  receiver: r
  group_by: [alertname]
  group_wait: 30s
  group_interval: 5m
  routes:
    - { matchers: ['alertname="InferDown"'], group_interval: 1h }
receivers: [{ name: r, integrations: [{ type: log }] }]
${INHIBIT_RULES}`,
    steps: [
      { at: 0, fire: down },
      ...Array.from({ length: 9 }, (_, i) => ({ at: i, fire: latency })),
    ],
    until: 9,
    want: { r: ['1 first notification: firing@0', '6 first notification: firing@0'] },
  },
  {
    name: 'a pending source whose for has passed mutes at the target’s flush, before its own group flushes',
    definitions: `
route:
  receiver: r
  group_by: [alertname]
  group_wait: 3m
  group_interval: 5m
  routes:
    - { matchers: ['alertname="InferDown"'], group_wait: 10m }
receivers: [{ name: r, integrations: [{ type: log }] }]
flap_control:
  overrides: [{ matchers: ['alertname="InferDown"'], for: 2m }]
${INHIBIT_RULES}`,
    steps: [
      { at: 0, fire: down, incident: 'i1' },
      ...Array.from({ length: 6 }, (_, i) => ({ at: i, fire: latency })),
    ],
    until: 6,
    want: {},
  },
];

const backends = await storeBackends('engine scenarios');

async function run(stores: Stores, s: Scenario): Promise<Record<string, string[]>> {
  const got: Record<string, string[]> = {};
  await runScript(stores, s, (n) => {
    const alerts = n.alerts.map((a) => `${a.status}@${(a.startsAt - T0) / M}`).join(', ');
    const list = got[n.receiver] ?? [];
    list.push(`${(n.createdAt - T0) / M} ${n.reason}: ${alerts}`);
    got[n.receiver] = list;
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
