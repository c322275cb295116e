/**
 * The shipped alerting-as-code definitions: every file validates against the protos and rules,
 * and they agree with the rest of runwatch: the channel and the sink publish to the Pub/Sub
 * topic alertIngest reads, the dead-letter policy watches exactly the dead-letter keep
 * subscriptions of pubsub.yaml, the burn-rate pair is the SRE workbook's page tier of the SLO the
 * trend rules use, and every Logging filter names events the code logs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { parse } from 'yaml';
import { runbookPath } from '../../../alerts/runbooks.js';
import { filterEvents, filterValues } from '../../../deploy/monitoring/filters.js';
import { knownAlerts } from '../../../deploy/monitoring/known-alerts.js';
import {
  loadMonitoringDefinitions,
  validateMonitoringDefinitions,
} from '../../../deploy/monitoring/load.js';
import { policyAlert } from '../../../deploy/monitoring/policy-alerts.js';
import { MONITORING_KINDS, type MonitoringDefinition } from '../../../deploy/monitoring/types.js';
import { isLogEvent } from '../../../lib/log-events.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const defs = loadMonitoringDefinitions();
const pubsub = parse(readFileSync(join(ROOT, 'alerts/definitions/pubsub.yaml'), 'utf8')) as {
  topics: Record<string, { name: string; deadLetterTopic?: string }>;
  subscriptions: Record<string, { name: string; topic: string; push?: unknown }>;
};
const slo = parse(readFileSync(join(ROOT, 'alerts/definitions/trend-rules/slo.yaml'), 'utf8')) as {
  rules: {
    alertname: string;
    objective: number;
    min_requests: number;
    pairs: { factor: number; short: string; long: string }[];
  }[];
};

type Json = Record<string, unknown>;
const policy = (id: string): Json => {
  const def = defs.policies.find((d) => d.id === id);
  if (def === undefined) throw new Error(`no policy ${id}`);
  return def.resource as Json;
};
const thresholds = (p: Json): Json[] =>
  (p.conditions as Json[]).map((c) => c.conditionThreshold as Json);
const seconds = (d: string): number => {
  const m = /^(\d+)(s|m|h|d)$/.exec(d);
  return Number(m?.[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[(m?.[2] ?? 's') as 's'];
};

test('monitoring definitions: every shipped file validates, with no problem at all', (t) => {
  const report = validateMonitoringDefinitions();
  t.deepEqual(
    report.problems.map((p) => p.message),
    [],
  );
});

test('monitoring definitions: one channel, two log metrics, one sink and the nine policies issue 19 lists', (t) => {
  t.deepEqual(
    MONITORING_KINDS.map((k) => [k, defs[k].map((d) => d.id)]),
    [
      ['channels', ['alert-ingest']],
      ['logMetrics', ['sweep-completed', 'sweep-probe-failures']],
      ['sinks', ['function-problems']],
      [
        'policies',
        [
          'dead-letter-backlog',
          'infer-5xx-ratio',
          'infer-budget-burn-fast',
          'infer-budget-burn-slow',
          'infer-error-logged',
          'infer-instances-near-max',
          'infer-latency-p99-forecast',
          'sweep-probe-failures',
          'sweeper-heartbeat-missing',
        ],
      ],
    ],
  );
});

test('monitoring definitions: the channel and the sink publish to the topic alertIngest reads (pubsub.yaml topics.ingest)', (t) => {
  const topic = pubsub.topics.ingest?.name;
  t.is(topic, 'alert-ingest');
  const [channel] = defs.channels;
  t.is(channel?.resource.type, 'pubsub');
  t.deepEqual(channel?.resource.labels, { topic: `projects/\${project}/topics/${topic}` });
  t.is(
    defs.sinks[0]?.resource.destination,
    `pubsub.googleapis.com/projects/\${project}/topics/${topic}`,
  );
});

test('monitoring definitions: every policy notifies the alert-ingest channel, by its id', (t) => {
  for (const def of defs.policies)
    t.deepEqual(def.resource.notificationChannels, ['alert-ingest'], def.id);
});

test('monitoring definitions: each policy raises the alertname of its display name, with its runbook, and is a known alert', (t) => {
  const known = new Map(
    knownAlerts(join(ROOT, 'alerts/definitions/trend-rules')).map((a) => [a.alertname, a]),
  );
  for (const def of defs.policies) {
    const { alertname, runbookUrl } = policyAlert(def);
    t.truthy(alertname, def.id);
    t.is(runbookUrl, runbookPath(alertname ?? ''), def.id);
    t.is(known.get(alertname ?? '')?.source, def.file, def.id);
  }
});

test('monitoring definitions: every Logging filter (log metrics, the sink, the log-match policy) names only events the code logs', (t) => {
  const filters: [MonitoringDefinition, unknown][] = [
    ...defs.logMetrics.map((d) => [d, d.resource.filter] as [MonitoringDefinition, unknown]),
    ...defs.sinks.map((d) => [d, d.resource.filter] as [MonitoringDefinition, unknown]),
    ...defs.policies.flatMap((d) =>
      (d.resource.conditions as Json[])
        .filter((c) => c.conditionMatchedLog !== undefined)
        .map((c) => [d, (c.conditionMatchedLog as Json).filter] as [MonitoringDefinition, unknown]),
    ),
  ];
  t.is(filters.length, 4);
  for (const [def, filter] of filters) {
    const { events, unreadable } = filterEvents(String(filter));
    t.deepEqual(unreadable, [], def.id);
    t.true(events.length > 0, def.id);
    t.deepEqual(
      events.filter((e) => !isLogEvent(e)),
      [],
      def.id,
    );
  }
});

test('monitoring definitions: the sink forwards none of the events alertIngest and the engine log while handling an alert (no loop)', (t) => {
  const { events } = filterEvents(String(defs.sinks[0]?.resource.filter));
  const loops = events.filter((e) =>
    /^alert\.(ingest|poison|loop|stale|duplicate|deliver|notification|flush)/.test(e),
  );
  t.deepEqual(loops, []);
  t.false(
    events.includes('sweep.finding') || events.includes('heartbeat.finding'),
    'findings reach alertIngest already',
  );
});

test('monitoring definitions: the dead-letter policy watches exactly the keep subscriptions of the dead-letter topics', (t) => {
  const deadLetterTopics = new Set(
    Object.values(pubsub.topics).flatMap((topic) =>
      topic.deadLetterTopic ? [topic.deadLetterTopic] : [],
    ),
  );
  const keep = Object.values(pubsub.subscriptions)
    .filter((s) => deadLetterTopics.has(s.topic) && s.push === undefined)
    .map((s) => s.name)
    .sort();
  t.deepEqual(keep, ['alert-ingest-dead-letter-keep', 'alerts-dead-letter-keep']);
  const [threshold] = thresholds(policy('dead-letter-backlog'));
  t.deepEqual(
    filterValues(String(threshold?.filter), 'resource.labels.subscription_id').sort(),
    keep,
  );
});

test("monitoring definitions: the burn-rate pair is the page tier of the trend rules' SLO: 14.4x over 1h and 5m, 6x over 6h and 30m", (t) => {
  const page = slo.rules.find((r) => r.alertname === 'InferErrorBudgetBurnPage');
  t.truthy(page);
  const budget = 1 - (page?.objective ?? 0);
  for (const [id, pair] of [
    ['infer-budget-burn-fast', page?.pairs[0]],
    ['infer-budget-burn-slow', page?.pairs[1]],
  ] as const) {
    const p = policy(id);
    t.is(p.combiner, 'AND', id);
    const [long, short, volume] = thresholds(p);
    const period = (c: Json | undefined) =>
      String(((c?.aggregations ?? []) as Json[])[0]?.alignmentPeriod ?? '');
    t.is(seconds(period(long)), seconds(pair?.long ?? ''), `${id} long window`);
    t.is(seconds(period(short)), seconds(pair?.short ?? ''), `${id} short window`);
    for (const c of [long, short]) {
      t.is(Number(c?.thresholdValue), Number(((pair?.factor ?? 0) * budget).toFixed(6)), id);
      t.truthy(c?.denominatorFilter, `${id}: a ratio`);
    }
    t.is(seconds(period(volume)), seconds(pair?.long ?? ''), `${id} volume window`);
    t.is(
      Number(volume?.thresholdValue),
      (page?.min_requests ?? 0) - 1,
      `${id} at least min_requests`,
    );
  }
});

test("monitoring definitions: the instance policy's threshold is a share of MAX_INSTANCES, a placeholder", (t) => {
  const [threshold] = thresholds(policy('infer-instances-near-max'));
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the placeholder syntax, as written
  t.is(threshold?.thresholdValue, '${maxInstances * 0.75}');
});

test('monitoring definitions: the heartbeat and probe policies read the two log metrics; the latency policy forecasts', (t) => {
  const absent = (policy('sweeper-heartbeat-missing').conditions as Json[])[0]
    ?.conditionAbsent as Json;
  t.regex(String(absent.filter), /logging\.googleapis\.com\/user\/sweep-completed"/);
  t.regex(
    String(thresholds(policy('sweep-probe-failures'))[0]?.filter),
    /logging\.googleapis\.com\/user\/sweep-probe-failures"/,
  );
  t.deepEqual(thresholds(policy('infer-latency-p99-forecast'))[0]?.forecastOptions, {
    forecastHorizon: '3600s',
  });
  const logMatch = policy('infer-error-logged');
  t.deepEqual((logMatch.alertStrategy as Json).notificationRateLimit, { period: '300s' });
});
