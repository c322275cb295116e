import test from 'ava';
import fc from 'fast-check';
import { parseEngineDefinitions } from '../../../alerts/engine/load-definitions.js';
import { newMatcher, parseMatchers } from '../../../alerts/engine/matchers.js';
import {
  formatLabelSet,
  groupKeyOf,
  groupLabelsOf,
  matchRoutes,
  quoteLabelValue,
} from '../../../alerts/engine/routes.js';
import { type GroupBy, ROUTE_DEFAULTS, type Route } from '../../../alerts/engine/types.js';

function route(
  id: string,
  matchers: string,
  routes: Route[] = [],
  extra: Partial<Route> = {},
): Route {
  return {
    id,
    receiver: `r${id}`,
    matchers: parseMatchers(matchers),
    groupBy: ['alertname'],
    continue: false,
    ...ROUTE_DEFAULTS,
    routes,
    ...extra,
  };
}

// The root; 0.0 critical (continue); 0.1 critical+prod with a child for db; 0.2 warning; 0.3 prod.
const tree = route('0', '', [
  route('0.0', 'severity="critical"', [], { continue: true }),
  route('0.1', 'severity="critical", target="prod"', [route('0.1.0', 'service="db"')]),
  route('0.2', 'severity="warning"'),
  route('0.3', 'target="prod"'),
]);

const cases = [
  { name: 'no child matches: the root itself', labels: { severity: 'info' }, want: ['0'] },
  {
    name: 'continue on the first match goes on to the next matching sibling and stops there',
    labels: { severity: 'critical', target: 'prod' },
    want: ['0.0', '0.1'],
  },
  {
    name: 'a child none of whose children match is the result, after a continue sibling',
    labels: { severity: 'critical', target: 'dev' },
    want: ['0.0'],
  },
  {
    name: 'a matching grandchild replaces its parent',
    labels: { severity: 'critical', target: 'prod', service: 'db' },
    want: ['0.0', '0.1.0'],
  },
  {
    name: 'the first match without continue stops: later siblings are not tried',
    labels: { severity: 'warning', target: 'prod' },
    want: ['0.2'],
  },
  {
    name: 'a later sibling takes what earlier ones refuse',
    labels: { target: 'prod' },
    want: ['0.3'],
  },
];

for (const c of cases) {
  test(`routes: ${c.name}`, (t) => {
    t.deepEqual(
      matchRoutes(tree, c.labels).map((r) => r.id),
      c.want,
    );
  });
}

test('routes: a root whose matchers refuse the labels gives no route', (t) => {
  t.deepEqual(matchRoutes(route('0', 'x="1"'), { x: '2' }), []);
});

test('routes: the group key is the route id and the sorted, quoted group labels', (t) => {
  const r = route('0.1', '', [], { groupBy: ['target', 'alertname'] });
  const labels = { target: 'prod', alertname: 'InferDown', severity: 'critical' };
  t.is(groupKeyOf(r, labels), '0.1:{alertname="InferDown",target="prod"}');
  t.deepEqual(groupLabelsOf(r, labels), { target: 'prod', alertname: 'InferDown' });
});

test('routes: a group_by label the alert lacks is left out of the key', (t) => {
  const r = route('0', '', [], { groupBy: ['alertname', 'target'] });
  t.is(groupKeyOf(r, { alertname: 'SweeperAbsent' }), '0:{alertname="SweeperAbsent"}');
  t.deepEqual(groupLabelsOf(r, { alertname: 'SweeperAbsent' }), { alertname: 'SweeperAbsent' });
});

test("routes: group_by 'all' groups by every label; an empty group_by makes one group per route", (t) => {
  const labels = { b: '2', a: '1' };
  t.is(groupKeyOf(route('0.2', '', [], { groupBy: 'all' }), labels), '0.2:{a="1",b="2"}');
  t.is(groupKeyOf(route('0.2', '', [], { groupBy: [] }), labels), '0.2:{}');
});

test('routes: group label values are quoted like Go %q (backslash, quote, newline, controls)', (t) => {
  t.is(quoteLabelValue('a"b\\c\nd\te\u0001'), '"a\\"b\\\\c\\nd\\te\\x01"');
  t.is(formatLabelSet({ z: 'é', a: '' }), '{a="",z="é"}');
});

const DEFS = `
route:
  receiver: root
  group_by: [alertname]
  group_wait: 10s
  group_interval: 1m
  repeat_interval: 1h
  routes:
    - matchers: ['severity="critical"']
      receiver: page
      group_wait: 0s
      routes:
        - matchers: ['target="prod"']
          group_by: ['...']
          repeat_interval: 150s
        - matchers: ['target="dev"']
          group_interval: 7m
    - matchers: ['severity="info"']
      group_by: []
receivers:
  - { name: root, integrations: [{ type: log }] }
  - { name: page, integrations: [{ type: log }] }
`;

test('routes: children inherit receiver, group_by and timers from their parent, level by level', (t) => {
  const { route: root } = parseEngineDefinitions(DEFS, 'x.yaml');
  const crit = root.routes[0] as Route;
  const prod = crit.routes[0] as Route;
  const dev = crit.routes[1] as Route;
  const info = root.routes[1] as Route;
  t.is(new Set([root, crit, prod, dev, info].map((r) => r.id)).size, 5, 'ids are distinct');
  t.like(crit, {
    receiver: 'page',
    groupWaitMs: 0,
    groupIntervalMs: 60_000,
    repeatIntervalMs: 3_600_000,
  });
  t.deepEqual(crit.groupBy, ['alertname']);
  // prod: repeat 150s rounded up to a multiple of the inherited 1m group_interval.
  t.like(prod, { receiver: 'page', groupBy: 'all', groupWaitMs: 0, repeatIntervalMs: 180_000 });
  // dev: its own group_interval; the inherited 1h repeat is rounded up to 7m multiples.
  t.like(dev, { groupIntervalMs: 420_000, repeatIntervalMs: 9 * 420_000 });
  t.like(info, { receiver: 'root', groupWaitMs: 10_000 });
  t.deepEqual(info.groupBy, []);
  t.deepEqual(
    matchRoutes(root, { severity: 'critical', target: 'prod' }).map((r) => r.id),
    [prod.id],
  );
});

const RECEIVERS = `
receivers:
  - { name: root, integrations: [] }
  - { name: page, integrations: [] }
  - { name: info, integrations: [] }
`;
const CRIT = `{ matchers: ['severity="critical"'], receiver: page, routes: [{ matchers: ['target="prod"'] }] }`;
const INFO = `{ matchers: ['severity="info"'], receiver: info }`;

/** The ids of the root, the child at `at` (the critical route) and that child's first child. */
function ids(children: string, at = 0, root = 'receiver: root, group_by: [alertname]') {
  const { route } = parseEngineDefinitions(
    `route: { ${root}, routes: [${children}] }${RECEIVERS}`,
    'x.yaml',
  );
  const crit = route.routes[at] as Route;
  return { root: route.id, crit: crit.id, prod: (crit.routes[0] as Route).id };
}

test('routes: a route keeps its id (so its groups) when routes are inserted before it or reordered', (t) => {
  const base = ids(CRIT);
  t.deepEqual(ids(`${INFO}, ${CRIT}`, 1), base, 'a route inserted before');
  t.deepEqual(ids(`${CRIT}, ${INFO}`), base, 'a route added after');
  t.deepEqual(ids(`{ matchers: ['team="db"'], receiver: info }, ${INFO}, ${CRIT}`, 2), base);
  t.deepEqual(
    ids(CRIT.replace('receiver: page', 'receiver: page, group_wait: 1m, continue: true')),
    base,
    'timers and continue are not part of it',
  );
  t.deepEqual(
    ids(CRIT.replace(`['severity="critical"']`, `['severity = critical']`)),
    base,
    'the same matcher written another way',
  );
});

test("routes: a route's id changes with its matchers, an ancestor's, its receiver or its group_by", (t) => {
  const base = ids(CRIT);
  const differs = (what: string, other: ReturnType<typeof ids>, keys: (keyof typeof base)[]) => {
    for (const k of keys) t.not(other[k], base[k], `${what}: ${k}`);
  };
  differs('own matchers', ids(CRIT.replace('"critical"', '"page"')), ['crit', 'prod']);
  differs('a child matcher', ids(CRIT.replace('"prod"', '"dev"')), ['prod']);
  differs('receiver (inherited by the child)', ids(CRIT.replace('page', 'info')), ['crit', 'prod']);
  differs('group_by', ids(CRIT.replace('page', 'page, group_by: [target]')), ['crit', 'prod']);
  differs('the root receiver', ids(CRIT, 0, 'receiver: info, group_by: [alertname]'), ['root']);
  t.deepEqual(ids(CRIT.replace('page', 'page, group_by: [alertname]')), base, 'inherited = same');
});

test("routes: the root takes Alertmanager's defaults (30s, 5m, 4h, no group labels)", (t) => {
  const { route: root } = parseEngineDefinitions(
    'route: { receiver: a }\nreceivers: [{ name: a, integrations: [] }]\n',
    'x.yaml',
  );
  t.like(root, { receiver: 'a', continue: false, ...ROUTE_DEFAULTS });
  t.regex(root.id, /^[0-9a-f]{16}$/);
  t.deepEqual(root.groupBy, []);
  t.deepEqual(root.matchers, []);
});

/** The reference: Alertmanager's dispatch/route.go Match, spelled out. */
function naive(r: Route, labels: Record<string, string>): string[] {
  const own = r.matchers.every((m) => {
    const v = labels[m.name] ?? '';
    return m.op === '=' ? v === m.value : v !== m.value;
  });
  if (!own) return [];
  const out: string[] = [];
  for (const c of r.routes) {
    const sub = naive(c, labels);
    if (sub.length === 0) continue;
    out.push(...sub);
    if (!c.continue) break;
  }
  return out.length > 0 ? out : [r.id];
}

const NAMES = ['a', 'b', 'c'];
const VALUES = ['', '1', '2'];
const matcherArb = fc
  .record({
    name: fc.constantFrom(...NAMES),
    op: fc.constantFrom('=' as const, '!=' as const),
    value: fc.constantFrom(...VALUES),
  })
  .map((m) => newMatcher(m.name, m.op, m.value));

type Shape = {
  matchers: ReturnType<typeof newMatcher>[];
  cont: boolean;
  kids: readonly Shape[];
};
const shapeArb = fc.letrec<{ node: Shape }>((tie) => ({
  node: fc.record({
    matchers: fc.array(matcherArb, { maxLength: 2 }),
    cont: fc.boolean(),
    kids: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constant([] as readonly Shape[]),
      fc.array(tie('node'), { maxLength: 3 }),
    ),
  }),
})).node;

function toRoute(s: Shape, id: string): Route {
  return {
    id,
    receiver: 'r',
    matchers: s.matchers,
    groupBy: [] as GroupBy,
    continue: s.cont,
    ...ROUTE_DEFAULTS,
    routes: s.kids.map((k, i) => toRoute(k, `${id}.${i}`)),
  };
}

test('routes: matchRoutes agrees with a naive reference on random trees and labels', (t) => {
  const labelsArb = fc.record(
    { a: fc.constantFrom(...VALUES), b: fc.constantFrom(...VALUES), c: fc.constantFrom(...VALUES) },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(shapeArb, labelsArb, (shape, labels) => {
      const root = toRoute({ ...shape, matchers: [] }, '0');
      const got = matchRoutes(root, labels).map((r) => r.id);
      const want = naive(root, labels);
      return got.length === want.length && got.every((id, i) => id === want[i]);
    }),
    { numRuns: 500 },
  );
  t.pass();
});
