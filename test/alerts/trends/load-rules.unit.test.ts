import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { RULE_ERR_INVALID, RULE_ERR_UNREADABLE, RuleError } from '../../../alerts/trends/errors.js';
import { loadRules, parseRules } from '../../../alerts/trends/load-rules.js';
import { RULE_TYPES } from '../../../alerts/trends/rule-types/index.js';

const RULES_DIR = fileURLToPath(
  new URL('../../../../alerts/definitions/trend-rules', import.meta.url),
);

test('load rules: the default rule set loads, one rule of every type, with bounded windows', (t) => {
  const rules = loadRules(RULES_DIR);
  t.deepEqual(rules.map((r) => r.alertname).sort(), [
    'InferDown',
    'InferErrorBudgetBurnPage',
    'InferErrorBudgetBurnTicket',
    'InferLatencyAnomaly',
    'InferLatencyHigh',
    'InferLatencyTrend',
    'InferTargetAbsent',
    'InferUnhealthy',
  ]);
  t.deepEqual([...new Set(rules.map((r) => r.type))].sort(), Object.keys(RULE_TYPES).sort());
  for (const r of rules) {
    const w = (RULE_TYPES[r.type] as (typeof RULE_TYPES)[string]).window(r.params);
    t.true(w > 0 && w <= 3 * 86_400_000 + 15 * 60_000, `${r.alertname}: ${w}`);
  }
  const down = rules.find((r) => r.alertname === 'InferDown');
  t.deepEqual(down?.params, {
    metric: 'up',
    op: '<',
    value: 1,
    forMs: 180_000,
    keepFiringForMs: 120_000,
    historyMs: 3_600_000,
  });
  t.regex(down?.source ?? '', /availability\.yaml#1$/);
});

const GOOD = `rules:
  - alertname: A
    type: threshold
    severity: warning
    metric: up
    op: '<'
    value: 1
    summary: s
`;

// Each row: a YAML text, the JSON path the error must name, and words the message must contain.
const bad = [
  {
    name: 'a bad duration names the rule, the field, the value and the pattern',
    yaml: GOOD.replace('value: 1', 'value: 1\n    for: 3 minutes'),
    field: '/rules/0/for',
    words: ['rule 0 (A)', '"3 minutes"', 'a string matching'],
  },
  {
    name: 'an unknown type lists the known ones',
    yaml: GOOD.replace('type: threshold', 'type: thresh'),
    field: '/rules/0/type',
    words: ['"thresh"', 'one of', 'burn_rate'],
  },
  {
    name: 'a missing summary is named as missing',
    yaml: GOOD.replace('    summary: s\n', ''),
    field: '/rules/0/summary',
    words: ['is missing'],
  },
  {
    name: 'a field of another rule type is refused',
    yaml: GOOD.replace('value: 1', 'value: 1\n    horizon: 30m'),
    field: '/rules/0/horizon',
    words: ['"30m"', 'no such property'],
  },
  {
    name: 'a burn-rate pair without a long window names the pair',
    yaml: `rules:
  - alertname: Slo
    type: burn_rate
    severity: critical
    objective: 0.995
    min_requests: 10
    summary: s
    pairs:
      - { factor: 14.4, short: 5m, long: 1h }
      - { factor: 6, short: 30m }
`,
    field: '/rules/0/pairs/1/long',
    words: ['rule 0 (Slo)', 'is missing'],
  },
  {
    name: 'an objective of 99.5 (a percentage) is refused',
    yaml: `rules:
  - alertname: Slo
    type: burn_rate
    severity: critical
    objective: 99.5
    min_requests: 10
    summary: s
    pairs: [{ factor: 1, short: 6h, long: 3d }]
`,
    field: '/rules/0/objective',
    words: ['99.5', 'expected a value < 1'],
  },
  {
    name: 'a runbook_url that is neither an http(s) URL nor a runbook path is refused',
    yaml: GOOD.replace('summary: s', 'summary: s\n    runbook_url: runbooks/A.md'),
    field: '/rules/0/runbook_url',
    words: ['rule 0 (A)', '"runbooks/A.md"', 'a string matching'],
  },
  {
    name: 'a file without `rules` is refused',
    yaml: 'alerts: []\n',
    field: '/rules',
    words: ['is missing'],
  },
] as const;

for (const row of bad) {
  test(`load rules: ${row.name}`, (t) => {
    const err = t.throws(() => parseRules(row.yaml, 'alerts/definitions/trend-rules/x.yaml'), {
      instanceOf: RuleError,
    });
    t.is(err?.code, RULE_ERR_INVALID);
    t.is(err?.field, row.field);
    t.true(err?.message.startsWith('alerts/definitions/trend-rules/x.yaml'), err?.message);
    t.true(err?.message.includes(`field ${row.field}`), err?.message);
    for (const w of row.words) t.true(err?.message.includes(w), `${w} in ${err?.message}`);
  });
}

test('load rules: text that is not YAML is RULE_ERR_UNREADABLE naming the file', (t) => {
  const err = t.throws(() => parseRules('rules: [ {', 'bad.yaml'), { instanceOf: RuleError });
  t.is(err?.code, RULE_ERR_UNREADABLE);
  t.regex(err?.message ?? '', /^bad\.yaml: not valid YAML/);
});

test('load rules: an alertname repeated across files names both places', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rules-'));
  writeFileSync(join(dir, 'a.yaml'), GOOD);
  writeFileSync(join(dir, 'b.yaml'), GOOD);
  writeFileSync(join(dir, 'notes.txt'), 'ignored');
  const err = t.throws(() => loadRules(dir), { instanceOf: RuleError });
  t.is(err?.code, RULE_ERR_INVALID);
  t.is(err?.field, '/rules/0/alertname');
  t.true(err?.message.includes(join(dir, 'b.yaml')), err?.message);
  t.true(err?.message.includes(`${join(dir, 'a.yaml')}#0`), err?.message);
});

test('load rules: runbook_url is a runbook path or an http(s) URL, kept as written', (t) => {
  for (const url of ['docs/runbooks/A.md', 'https://wiki.example/rb/a', 'http://rb.local/a']) {
    const [rule] = parseRules(
      GOOD.replace('summary: s', `summary: s\n    runbook_url: ${url}`),
      'x.yaml',
    );
    t.is(rule?.runbook_url, url);
  }
});

test('load rules: defaults fill in optional fields', (t) => {
  const [rule] = parseRules(GOOD, 'x.yaml');
  t.is(rule?.targets, undefined);
  t.is(rule?.runbook_url, undefined);
  t.deepEqual(rule?.params, {
    metric: 'up',
    op: '<',
    value: 1,
    forMs: 0,
    keepFiringForMs: 0,
    historyMs: 3_600_000,
  });
});
