/**
 * The inhibition rules' source matchers as the label conditions the engine store tests in its
 * query (engine-sources.ts): which matchers become conditions, and that the filter never leaves
 * out an alert a rule's source matchers match (the engine applies the matchers to what is read).
 */
import test from 'ava';
import { loadEngineDefinitions } from '../../../alerts/engine/load-definitions.js';
import { matchesAll, parseMatcher } from '../../../alerts/engine/matchers.js';
import type { InhibitRule } from '../../../alerts/engine/types.js';
import {
  type SourceFilter,
  sourceFilter,
  sourceFilterSql,
} from '../../../alerts/store/engine-sources.js';

const rule = (...sources: string[]): InhibitRule => ({
  sourceMatchers: sources.map(parseMatcher),
  targetMatchers: [parseMatcher('alertname="T"')],
  equal: [],
});

test('engine sources: = and =~ over plain words become conditions; other matchers are left to the engine', (t) => {
  t.deepEqual(sourceFilter([rule('alertname="InferDown"', 'severity!="info"')]), [
    [{ name: 'alertname', values: ['InferDown'] }],
  ]);
  t.deepEqual(
    sourceFilter([rule('alertname=~"InferDown|InferTargetAbsent"', 'zone:name=~"eu-west 1|a/b"')]),
    [
      [
        { name: 'alertname', values: ['InferDown', 'InferTargetAbsent'] },
        { name: 'zone:name', values: ['eu-west 1', 'a/b'] },
      ],
    ],
  );
  t.deepEqual(sourceFilter([rule('env=""')]), [[{ name: 'env', values: [''] }]]);
  t.deepEqual(sourceFilter([]), []);
});

test('engine sources: a rule without a condition lets every alert through', (t) => {
  for (const m of [
    'alertname=~"Infer.*"',
    'alertname=~"(?i)inferdown"',
    'alertname=~"a|"',
    'alertname!~"x"',
    'alertname!="x"',
  ]) {
    t.is(sourceFilter([rule('alertname="A"'), rule(m)]), null, m);
  }
});

test('engine sources: the filter passes every alert a rule’s source matchers match', (t) => {
  const rules = [
    rule('alertname=~"Down|Absent"', 'env=""'),
    rule('alertname="Big"', 'severity=~"crit.*"'),
  ];
  const filter = sourceFilter(rules);
  const passes = (f: SourceFilter, labels: Record<string, string>) =>
    f === null || f.some((entry) => entry.every((c) => c.values.includes(labels[c.name] ?? '')));
  const values = {
    alertname: ['Down', 'Absent', 'Big', 'Other', ''],
    env: ['', 'prod', undefined],
    severity: ['critical', 'info', undefined],
  };
  for (const alertname of values.alertname)
    for (const env of values.env)
      for (const severity of values.severity) {
        const labels: Record<string, string> = { alertname };
        if (env !== undefined) labels.env = env;
        if (severity !== undefined) labels.severity = severity;
        const source = rules.some((r) => matchesAll(r.sourceMatchers, labels));
        if (source) t.true(passes(filter, labels), JSON.stringify(labels));
      }
});

test('engine sources: the shipped definitions’ rules are all tested in the query', (t) => {
  const config = loadEngineDefinitions();
  t.true(config.inhibitRules.length > 0);
  t.not(sourceFilter(config.inhibitRules), null);
});

test('engine sources: SQL for each dialect, values as parameters', (t) => {
  const filter: SourceFilter = [
    [{ name: 'alertname', values: ['A', 'B'] }],
    [
      { name: 'alertname', values: ['C'] },
      { name: 'zone:name', values: [`it's`] },
    ],
  ];
  t.deepEqual(sourceFilterSql(filter, 'sqlite'), {
    sql: `((COALESCE(json_extract(labels, ?), '') IN (?, ?)) OR (COALESCE(json_extract(labels, ?), '') IN (?) AND COALESCE(json_extract(labels, ?), '') IN (?)))`,
    params: ['$."alertname"', 'A', 'B', '$."alertname"', 'C', '$."zone:name"', `it's`],
  });
  t.deepEqual(sourceFilterSql(filter, 'postgres', 2), {
    sql: `((COALESCE(labels ->> $2::text, '') = ANY($3::text[])) OR (COALESCE(labels ->> $4::text, '') = ANY($5::text[]) AND COALESCE(labels ->> $6::text, '') = ANY($7::text[])))`,
    params: ['alertname', ['A', 'B'], 'alertname', ['C'], 'zone:name', [`it's`]],
  });
  t.deepEqual(sourceFilterSql(null, 'sqlite'), { sql: 'TRUE', params: [] });
  t.deepEqual(sourceFilterSql([], 'postgres'), { sql: 'FALSE', params: [] });
});
