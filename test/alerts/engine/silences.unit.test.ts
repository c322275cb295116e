import test from 'ava';
import {
  ENGINE_ERR_SILENCE_INVALID,
  EngineDefinitionsError,
} from '../../../alerts/engine/definition-errors.js';
import { parseMatchers } from '../../../alerts/engine/matchers.js';
import {
  checkSilenceSpec,
  isActive,
  SILENCE_LIMITS,
  silencedBy,
  usableSilences,
} from '../../../alerts/engine/silences.js';
import type { Matcher, SilenceSpec } from '../../../alerts/engine/types.js';

const T0 = Date.UTC(2026, 11, 7, 12, 0);
const H = 3_600_000;

const spec = (matchers: string, extra: Partial<SilenceSpec> = {}): SilenceSpec => ({
  matchers: parseMatchers(matchers),
  startsAt: T0,
  endsAt: T0 + H,
  createdBy: 'ops@example.com',
  comment: 'planned maintenance',
  ...extra,
});

const edges = [
  { name: 'one ms before startsAt is inactive', now: T0 - 1, want: false },
  { name: 'startsAt itself is active', now: T0, want: true },
  { name: 'one ms before endsAt is active', now: T0 + H - 1, want: true },
  { name: 'endsAt itself is inactive', now: T0 + H, want: false },
];
for (const e of edges) {
  test(`silences: ${e.name}`, (t) => {
    t.is(isActive(spec('a="1"'), e.now), e.want);
  });
}

test('silences: silencedBy gives the ids of active silences whose matchers all accept the labels', (t) => {
  const silences = [
    { id: 'prod-all', ...spec('target="prod"') },
    { id: 'prod-latency', ...spec('target="prod", alertname=~"InferLatency.*"') },
    { id: 'dev', ...spec('target="dev"') },
    { id: 'prod-later', ...spec('target="prod"', { startsAt: T0 + H, endsAt: T0 + 2 * H }) },
    { id: 'no-severity', ...spec('target="prod", severity=""') },
  ];
  t.deepEqual(silencedBy({ alertname: 'InferLatencyHigh', target: 'prod' }, silences, T0), [
    'prod-all',
    'prod-latency',
    'no-severity',
  ]);
  t.deepEqual(
    silencedBy({ alertname: 'InferDown', target: 'prod', severity: 'critical' }, silences, T0 + H),
    ['prod-later'],
  );
  t.deepEqual(silencedBy({ alertname: 'InferDown', target: 'staging' }, silences, T0), []);
});

test('silences: a valid spec passes and comes back with checked matchers', (t) => {
  const got = checkSilenceSpec(spec('target="prod"'));
  t.is(got.matchers[0]?.value, 'prod');
  t.is(got.endsAt, T0 + H);
});

const bad: { name: string; spec: SilenceSpec; field: string; words: string[] }[] = [
  { name: 'no matchers', spec: spec(''), field: '/matchers', words: ['from 1 to'] },
  {
    name: 'only matchers that match the empty string',
    spec: spec('target=~".*", severity=""'),
    field: '/matchers',
    words: ['does not match the empty string'],
  },
  {
    name: 'too many matchers',
    spec: spec(
      Array.from({ length: SILENCE_LIMITS.maxMatchers + 1 }, (_, i) => `l${i}="x"`).join(','),
    ),
    field: '/matchers',
    words: [`from 1 to ${SILENCE_LIMITS.maxMatchers}`],
  },
  {
    name: 'a matcher with a bad regex',
    spec: { ...spec('a="1"'), matchers: [{ name: 'a', op: '=~', value: '(' } as Matcher] },
    field: '/matchers/0',
    words: ['is invalid'],
  },
  {
    name: 'a matcher with a bad label name (from JSON)',
    spec: { ...spec('a="1"'), matchers: [{ name: 'bad name', op: '=', value: 'x' } as Matcher] },
    field: '/matchers/0',
    words: ['"bad name"'],
  },
  {
    name: 'an end equal to the start',
    spec: spec('a="1"', { endsAt: T0 }),
    field: '/endsAt',
    words: ['a time after startsAt', new Date(T0).toISOString()],
  },
  {
    name: 'an end before the start',
    spec: spec('a="1"', { endsAt: T0 - 1 }),
    field: '/endsAt',
    words: ['a time after startsAt'],
  },
  {
    name: 'a start that is not a time',
    spec: spec('a="1"', { startsAt: Number.NaN }),
    field: '/startsAt',
    words: ['NaN', 'epoch milliseconds'],
  },
  {
    name: 'an empty createdBy',
    spec: spec('a="1"', { createdBy: '  ' }),
    field: '/createdBy',
    words: ['a non-empty string'],
  },
  {
    name: 'a too long comment',
    spec: spec('a="1"', { comment: 'x'.repeat(SILENCE_LIMITS.maxCommentLength + 1) }),
    field: '/comment',
    words: [`at most ${SILENCE_LIMITS.maxCommentLength}`],
  },
];

for (const row of bad) {
  test(`silences: checkSilenceSpec refuses ${row.name}, naming ${row.field}`, (t) => {
    const err = t.throws(() => checkSilenceSpec(row.spec), { instanceOf: EngineDefinitionsError });
    t.is(err?.code, ENGINE_ERR_SILENCE_INVALID);
    t.is(err?.field, row.field);
    t.true(err?.message.startsWith(`field ${row.field} `), err?.message);
    for (const w of row.words) t.true(err?.message.includes(w), `${w} in ${err?.message}`);
  });
}

test('silences: usableSilences drops a stored silence whose regex RE2 refuses, naming it, and keeps the rest', (t) => {
  // Stored before the RE2 matchers: JavaScript's `\u00e9` escape, which RE2 does not read.
  const stored = [
    { id: 'old', ...spec('a="1"'), matchers: [{ name: 'target', op: '=~', value: 'caf\\u00e9' }] },
    { id: 'ok', ...spec('target=~"prod|dev"') },
  ] as (SilenceSpec & { id: string })[];
  const invalid: [string, string][] = [];
  const usable = usableSilences(stored, (id, message) => invalid.push([id, message]));
  t.deepEqual(
    usable.map((s) => s.id),
    ['ok'],
  );
  t.is(invalid.length, 1);
  t.is(invalid[0]?.[0], 'old');
  t.regex(invalid[0]?.[1] ?? '', /caf\\\\u00e9/);
  t.deepEqual(silencedBy({ target: 'prod' }, usable, T0), ['ok']);
});
