import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import {
  ENGINE_DEFS_ERR_INVALID,
  ENGINE_DEFS_ERR_UNREADABLE,
  EngineDefinitionsError,
} from '../../../alerts/engine/definition-errors.js';
import { fingerprint } from '../../../alerts/engine/fingerprint.js';
import { isInhibited } from '../../../alerts/engine/inhibit.js';
import {
  loadEngineDefinitions,
  parseEngineDefinitions,
  WEBHOOK_DEFAULTS,
} from '../../../alerts/engine/load-definitions.js';
import { matchRoutes } from '../../../alerts/engine/routes.js';
import { MAX_ACTIVE_SILENCES } from '../../../alerts/engine/silences.js';
import { TOPICS } from '../../../alerts/pubsub/topology.js';

test('load definitions: the committed file loads: routes, receivers, inhibition, no silences', (t) => {
  const config = loadEngineDefinitions();
  t.is(config.resolveTimeoutMs, 300_000);
  t.like(config.route, { receiver: 'default', groupWaitMs: 30_000 });
  t.deepEqual(config.route.groupBy, ['alertname', 'target']);
  t.deepEqual([...config.receivers.keys()].sort(), ['default', 'log-only', 'oncall']);
  const oncall = config.receivers.get('oncall');
  t.deepEqual(oncall?.integrations, [
    { type: 'log' },
    { type: 'pubsub', topic: TOPICS.alerts },
    {
      type: 'webhook',
      url: { env: 'RUNWATCH_ONCALL_WEBHOOK_URL' },
      format: 'alertmanager',
      timeoutMs: 10_000,
      maxAttempts: 3,
      maxAlerts: 0,
    },
  ]);
  t.true(oncall?.sendResolved);
  const via = (labels: Record<string, string>) =>
    matchRoutes(config.route, labels).map((r) => r.receiver);
  t.deepEqual(via({ alertname: 'InferDown', severity: 'critical', target: 'prod' }), ['oncall']);
  t.deepEqual(via({ alertname: 'InferLatencyAnomaly', severity: 'info', target: 'prod' }), [
    'log-only',
  ]);
  t.deepEqual(via({ alertname: 'InferUnhealthy', severity: 'warning', target: 'prod' }), [
    'default',
  ]);
  const down = { alertname: 'InferDown', severity: 'critical', target: 'prod' };
  const latency = { alertname: 'InferLatencyHigh', severity: 'warning', target: 'prod' };
  const src = [{ fingerprint: fingerprint(down), labels: down }];
  t.is(
    isInhibited({ fingerprint: fingerprint(latency), labels: latency }, src, config.inhibitRules),
    fingerprint(down),
  );
  const otherTarget = { ...latency, target: 'dev' };
  t.is(
    isInhibited(
      { fingerprint: fingerprint(otherTarget), labels: otherTarget },
      src,
      config.inhibitRules,
    ),
    null,
  );
  t.deepEqual(config.silences, []);
  t.deepEqual(config.flapDefaults, { forMs: 0, keepFiringForMs: 0, minFlipIntervalMs: 0 });
});

const GOOD = `route:
  receiver: a
  routes:
    - matchers: ['severity="critical"']
      receiver: b
receivers:
  - name: a
    integrations: [{ type: log }]
  - name: b
    integrations:
      - type: webhook
        url: { env: HOOK }
`;

test('load definitions: defaults fill in a webhook, silences and flap overrides', (t) => {
  const text = `${GOOD}silences:
  - id: maint
    matchers: ['target="prod"']
    starts_at: 2026-12-07T10:00:00Z
    ends_at: 2026-12-07T12:00:00+01:00
    created_by: ops
    comment: planned
flap_control:
  defaults: { for: 1m }
  overrides:
    - matchers: ['alertname="InferDown"']
      keep_firing_for: 2m
`;
  const config = parseEngineDefinitions(text, 'x.yaml');
  t.deepEqual(config.receivers.get('b')?.integrations[0], {
    type: 'webhook',
    url: { env: 'HOOK' },
    ...WEBHOOK_DEFAULTS,
  });
  t.like(config.silences[0], {
    id: 'maint',
    startsAt: Date.UTC(2026, 11, 7, 10),
    endsAt: Date.UTC(2026, 11, 7, 11),
    createdBy: 'ops',
  });
  t.deepEqual(config.flapDefaults, { forMs: 60_000, keepFiringForMs: 0, minFlipIntervalMs: 0 });
  t.like(config.flapControl[0], { forMs: 60_000, keepFiringForMs: 120_000, minFlipIntervalMs: 0 });
  t.is(config.flapControl[0]?.matchers[0]?.value, 'InferDown');
});

// Each row: a YAML text, the JSON path the error must name, and words the message must contain.
const bad = [
  {
    name: 'a receiver a route names but the file does not declare',
    yaml: GOOD.replace('receiver: b', 'receiver: pager'),
    field: '/route/routes/0/receiver',
    words: ['"pager"', 'the name of a receiver of this file (a, b)'],
  },
  {
    name: 'a receiver name used twice',
    yaml: GOOD.replace('name: b', 'name: a'),
    field: '/receivers/1/name',
    words: ['"a"', 'not already used'],
  },
  {
    name: 'a bad matcher names the entry and the parser reason',
    yaml: GOOD.replace('severity="critical"', 'severity=~"(crit"'),
    field: '/route/routes/0/matchers/0',
    words: ['"severity=~\\"(crit\\""', 'a valid matcher', 'is invalid'],
  },
  {
    name: 'a bad duration',
    yaml: GOOD.replace('  receiver: a\n', '  receiver: a\n  group_wait: 30 seconds\n'),
    field: '/route/group_wait',
    words: ['"30 seconds"', 'a string matching'],
  },
  {
    name: 'a zero group_interval',
    yaml: GOOD.replace('  receiver: a\n', '  receiver: a\n  group_interval: 0s\n'),
    field: '/route/group_interval',
    words: ['"0s"', 'a duration > 0'],
  },
  {
    name: 'a zero resolve_timeout',
    yaml: `global: { resolve_timeout: 0m }\n${GOOD}`,
    field: '/global/resolve_timeout',
    words: ['"0m"', 'a duration > 0'],
  },
  {
    name: 'a root without a receiver',
    yaml: GOOD.replace('  receiver: a\n', ''),
    field: '/route/receiver',
    words: ['is missing'],
  },
  {
    name: 'matchers on the root',
    yaml: GOOD.replace('  receiver: a\n', "  receiver: a\n  matchers: ['a=b']\n"),
    field: '/route/matchers',
    words: ['no matchers on the root'],
  },
  {
    name: "'...' with other labels in group_by",
    yaml: GOOD.replace('  receiver: a\n', "  receiver: a\n  group_by: ['...', target]\n"),
    field: '/route/group_by',
    words: ["'...' alone"],
  },
  {
    name: 'a label twice in group_by',
    yaml: GOOD.replace('  receiver: a\n', '  receiver: a\n  group_by: [target, target]\n'),
    field: '/route/group_by/1',
    words: ['"target"', 'not already listed'],
  },
  {
    name: 'an unknown integration type lists the known ones',
    yaml: GOOD.replace('type: log', 'type: email'),
    field: '/receivers/0/integrations/0/type',
    words: ['"email"', 'one of log, pubsub, webhook'],
  },
  {
    name: 'a field of another integration type',
    yaml: GOOD.replace('type: log', 'type: log, topic: alerts'),
    field: '/receivers/0/integrations/0/topic',
    words: ['no such property'],
  },
  {
    name: 'a pubsub topic the topology does not declare',
    yaml: GOOD.replace('type: log', 'type: pubsub, topic: nowhere'),
    field: '/receivers/0/integrations/0/topic',
    words: ['"nowhere"', 'alerts/definitions/pubsub.yaml'],
  },
  {
    name: 'a webhook url with both env and file',
    yaml: GOOD.replace('url: { env: HOOK }', 'url: { env: HOOK, file: /run/secret }'),
    field: '/receivers/1/integrations/0/url',
    words: ['value not shown', '{env: NAME} or {file: PATH}'],
  },
  {
    name: 'a webhook with max_attempts 0',
    yaml: GOOD.replace('url: { env: HOOK }', 'url: { env: HOOK }\n        max_attempts: 0'),
    field: '/receivers/1/integrations/0/max_attempts',
    words: ['0', 'a value >= 1'],
  },
  {
    name: 'an old-style match property',
    yaml: GOOD.replace('- matchers: [\'severity="critical"\']', '- match: { severity: critical }'),
    field: '/route/routes/0/match',
    words: ['no such property'],
  },
  {
    name: 'a silence id used twice',
    yaml: `${GOOD}silences:
  - { id: s, matchers: ['a="1"'], starts_at: 2026-01-01T00:00:00Z, ends_at: 2026-01-02T00:00:00Z, created_by: o, comment: c }
  - { id: s, matchers: ['a="2"'], starts_at: 2026-01-01T00:00:00Z, ends_at: 2026-01-02T00:00:00Z, created_by: o, comment: c }
`,
    field: '/silences/1/id',
    words: ['"s"', 'not already used'],
  },
  {
    name: 'a silence that ends before it starts names its YAML field',
    yaml: `${GOOD}silences:
  - { id: s, matchers: ['a="1"'], starts_at: 2026-01-02T00:00:00Z, ends_at: 2026-01-01T00:00:00Z, created_by: o, comment: c }
`,
    field: '/silences/0/ends_at',
    words: ['silence s', '"2026-01-01T00:00:00.000Z"', 'a time after startsAt'],
  },
  {
    name: 'a silence only matching empty strings',
    yaml: `${GOOD}silences:
  - { id: s, matchers: ['a=~".*"'], starts_at: 2026-01-01T00:00:00Z, ends_at: 2026-01-02T00:00:00Z, created_by: o, comment: c }
`,
    field: '/silences/0/matchers',
    words: ['does not match the empty string'],
  },
  {
    name: 'a silence time that is not RFC 3339',
    yaml: `${GOOD}silences:
  - { id: s, matchers: ['a="1"'], starts_at: tomorrow, ends_at: 2026-01-02T00:00:00Z, created_by: o, comment: c }
`,
    field: '/silences/0/starts_at',
    words: ['"tomorrow"', 'a string matching'],
  },
  {
    name: 'more silences than the active silences allowed',
    yaml: `${GOOD}silences:\n${Array.from(
      { length: MAX_ACTIVE_SILENCES + 1 },
      (_, i) =>
        `  - { id: s${i}, matchers: ['a="${i}"'], starts_at: 2026-01-01T00:00:00Z, ends_at: 2026-01-02T00:00:00Z, created_by: o, comment: c }`,
    ).join('\n')}\n`,
    field: '/silences',
    words: [`${MAX_ACTIVE_SILENCES + 1} silences`, `at most ${MAX_ACTIVE_SILENCES}`],
  },
  {
    name: 'a silence on a day its month does not have',
    yaml: `${GOOD}silences:
  - { id: s, matchers: ['a="1"'], starts_at: 2026-01-01T00:00:00Z, ends_at: 2026-02-30T00:00:00Z, created_by: o, comment: c }
`,
    field: '/silences/0/ends_at',
    words: ['"2026-02-30T00:00:00Z"', 'an RFC 3339 date-time with a timezone'],
  },
  {
    name: 'two routes with the same matchers, receiver and group_by (they would share groups)',
    yaml: GOOD.replace(
      '      receiver: b\n',
      "      receiver: b\n      continue: true\n    - matchers: ['severity=critical']\n      receiver: b\n      group_wait: 1m\n",
    ),
    field: '/route/routes/1',
    words: ['the same matchers', '/route/routes/0', 'a route that differs'],
  },
  {
    name: 'an inhibit rule without target matchers',
    yaml: `${GOOD}inhibit_rules:\n  - source_matchers: ['a="1"']\n`,
    field: '/inhibit_rules/0/target_matchers',
    words: ['is missing'],
  },
] as const;

for (const row of bad) {
  test(`load definitions: ${row.name} is ENGINE_DEFS_ERR_INVALID naming ${row.field}`, (t) => {
    const err = t.throws(() => parseEngineDefinitions(row.yaml, 'alerts/definitions/x.yaml'), {
      instanceOf: EngineDefinitionsError,
    });
    t.is(err?.code, ENGINE_DEFS_ERR_INVALID);
    t.is(err?.field, row.field);
    t.true(err?.message.startsWith('alerts/definitions/x.yaml: '), err?.message);
    t.true(err?.message.includes(`field ${row.field} `), err?.message);
    for (const w of row.words) t.true(err?.message.includes(w), `${w} in ${err?.message}`);
  });
}

for (const url of [
  'https://hooks.slack.com/services/T000/B000/SECRETTOKEN',
  'https://example.com/very/long/path/that/is/longer/than/sixty/characters?token=SECRETTOKEN',
]) {
  test(`load definitions: a literal webhook URL (${url.length} chars) is refused without echoing it`, (t) => {
    const yaml = GOOD.replace('url: { env: HOOK }', `url: "${url}"`);
    const err = t.throws(() => parseEngineDefinitions(yaml, 'x.yaml'), {
      instanceOf: EngineDefinitionsError,
    });
    t.is(err?.code, ENGINE_DEFS_ERR_INVALID);
    t.is(err?.field, '/receivers/1/integrations/0/url');
    t.true(err?.message.includes('literal URL'), err?.message);
    t.false(err?.message.includes('SECRETTOKEN'), err?.message);
    t.false(err?.message.includes('hooks.slack.com') || err?.message.includes('example.com'));
  });
}

test('load definitions: a URL put in the env field is not echoed either', (t) => {
  const yaml = GOOD.replace('url: { env: HOOK }', 'url: { env: "https://x.io/SECRETTOKEN" }');
  const err = t.throws(() => parseEngineDefinitions(yaml, 'x.yaml'), {
    instanceOf: EngineDefinitionsError,
  });
  t.is(err?.field, '/receivers/1/integrations/0/url/env');
  t.false(err?.message.includes('SECRETTOKEN'), err?.message);
});

test('load definitions: loading never needs the webhook environment variable', (t) => {
  const config = parseEngineDefinitions(
    GOOD.replace('env: HOOK', 'env: RUNWATCH_TEST_SURELY_UNSET_VARIABLE'),
    'x.yaml',
  );
  t.like(config.receivers.get('b')?.integrations[0], {
    url: { env: 'RUNWATCH_TEST_SURELY_UNSET_VARIABLE' },
  });
});

test('load definitions: text that is not YAML is ENGINE_DEFS_ERR_UNREADABLE naming the file', (t) => {
  const err = t.throws(() => parseEngineDefinitions('route: [ {', 'bad.yaml'), {
    instanceOf: EngineDefinitionsError,
  });
  t.is(err?.code, ENGINE_DEFS_ERR_UNREADABLE);
  t.regex(err?.message ?? '', /^bad\.yaml: not valid YAML/);
});

test('load definitions: a missing file is ENGINE_DEFS_ERR_UNREADABLE naming the path', (t) => {
  const path = join(mkdtempSync(join(tmpdir(), 'defs-')), 'none.yaml');
  const err = t.throws(() => loadEngineDefinitions(path), { instanceOf: EngineDefinitionsError });
  t.is(err?.code, ENGINE_DEFS_ERR_UNREADABLE);
  t.true(err?.message.startsWith(path), err?.message);
});

test('load definitions: a file on disk loads like its text', (t) => {
  const path = join(mkdtempSync(join(tmpdir(), 'defs-')), 'alerting.yaml');
  writeFileSync(path, GOOD);
  t.deepEqual(loadEngineDefinitions(path).route.routes[0]?.receiver, 'b');
});
