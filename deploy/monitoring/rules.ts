/**
 * The rules a definition must keep that its proto cannot say, checked on a resource that already
 * passed the proto walk (so every field has its proto type) and has its placeholders filled.
 *
 * Cloud Monitoring's own (gcp-formats.md §4 and the comments of alert.proto), which the API
 * would refuse at apply time, and only there:
 * - a policy has 1 to 6 conditions; a condition sets exactly one condition type; two or more
 *   conditions need a combiner;
 * - a log-match condition is alone in its policy; a log-match policy needs
 *   `alertStrategy.notificationRateLimit`, and no other policy may have one; its prompts are only
 *   `[OPENED]`;
 * - a metric threshold compares with COMPARISON_GT or COMPARISON_LT; its `duration` is whole
 *   minutes, and at least 60 s to use `evaluationMissingData`; a forecast horizon is 1 h to 60 h;
 *   a ratio has both a denominator filter and denominator aggregations, aligned alike;
 * - an absence `duration` is whole minutes, at least 120 s;
 * - threshold and absence filters name `metric.type` and `resource.type`; aggregations align
 *   over at least 60 s, and a reducer needs an aligner, an aligner a period;
 * - documentation is text/markdown, at most 8192 characters, a subject of at most 255, at most
 *   3 links; user labels are lowercase letters, digits, `_` and `-`, at most 63 characters;
 * - Cloud Logging: a log metric is a DELTA counter or distribution, a distribution has a value
 *   extractor and buckets, its label extractors and declared labels agree.
 *
 * runwatch's, so that what Monitoring raises comes back through alertIngest and the engine as an
 * alert like any other (alerts/ingest/sources/monitoring-incident.ts):
 * - a policy's displayName is its alertname; it sets `severity` (the engine's severity comes from
 *   it); its runbook link is `docs/runbooks/<displayName>.md`; log-match policies also set
 *   `autoClose` (their incidents close by nothing else); `notificationChannelStrategy` is not used
 *   (channels are named by definition id; the engine repeats notifications);
 * - a channel is a Pub/Sub channel to a topic; a sink writes to a Pub/Sub topic;
 * - a log metric's and a sink's `name` is its definition id;
 * - every Logging filter of a log metric, sink or log-match condition names the events it
 *   matches, each one the code logs (`lib/log-events.ts`): MONITORING_DEFS_ERR_EVENT;
 * - a `logging.googleapis.com/user/<name>` metric is a log-metric definition:
 *   MONITORING_DEFS_ERR_REFERENCE.
 */

import { absoluteRunbookUrl, runbookPath } from '../../alerts/runbooks.js';
import { describeValue } from '../../lib/errors.js';
import { isLogEvent } from '../../lib/log-events.js';
import {
  MONITORING_DEFS_ERR_EVENT,
  MONITORING_DEFS_ERR_REFERENCE,
  MONITORING_DEFS_ERR_RULE,
  MonitoringDefinitionError,
  type MonitoringProblemCode,
} from './errors.js';
import {
  filterEvents,
  filterMetricTypes,
  filterNamesResourceType,
  USER_METRIC_PREFIX,
} from './filters.js';
import { childPath, fieldName, isRecord, itemPath } from './paths.js';
import { ALERTNAME_PATTERN, runbookLinkIndex } from './policy-alerts.js';
import { durationSeconds } from './proto-json.js';
import type { MonitoringContext, MonitoringKind } from './types.js';

/** What a definition may refer to: the other definitions. */
export interface DefinitionIndex {
  readonly channelIds: ReadonlySet<string>;
  readonly logMetricNames: ReadonlySet<string>;
}

const CONDITION_TYPES = [
  'conditionThreshold',
  'conditionAbsent',
  'conditionMatchedLog',
  'conditionMonitoringQueryLanguage',
  'conditionPrometheusQueryLanguage',
  'conditionSql',
] as const;
const MAX_CONDITIONS = 6;
const MAX_DOC_CHARS = 8192;
const MAX_SUBJECT_CHARS = 255;
const MAX_LINKS = 3;
const MIN_FORECAST_S = 3600;
const MAX_FORECAST_S = 60 * 3600;
const SEVERITIES = ['CRITICAL', 'ERROR', 'WARNING'];
const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;
const TOPIC = /^projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/topics\/[A-Za-z][A-Za-z0-9._~%+-]{2,254}$/;
const SINK_DESTINATION = /^pubsub\.googleapis\.com\/(projects\/[^/]+\/topics\/[^/]+)$/;
const EXTRACTOR = /^(?:EXTRACT|REGEXP_EXTRACT)\(.+\)$/;

type Json = Record<string, unknown>;
/** How a message states a value: `is missing`, or `is <value>`. */
const state = (v: unknown): string => (v === undefined ? 'is missing' : `is ${describeValue(v)}`);
const rec = (v: unknown): Json => (isRecord(v) ? v : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

class Rules {
  readonly problems: MonitoringDefinitionError[] = [];
  constructor(
    readonly file: string,
    readonly index: DefinitionIndex,
  ) {}

  add(code: MonitoringProblemCode, path: string, what: string, expected: string): void {
    this.problems.push(
      new MonitoringDefinitionError(
        code,
        this.file,
        path,
        `${this.file}: ${fieldName(path)} ${what}; expected ${expected}`,
      ),
    );
  }

  rule(path: string, what: string, expected: string): void {
    this.add(MONITORING_DEFS_ERR_RULE, path, what, expected);
  }

  /** A Logging filter's events: at least one when `required`, each one the code logs. */
  events(path: string, filter: unknown, required: boolean): void {
    if (typeof filter !== 'string') {
      if (required) {
        this.add(
          MONITORING_DEFS_ERR_EVENT,
          path,
          'is missing',
          'a filter naming jsonPayload.event',
        );
      }
      return;
    }
    const { events, unreadable } = filterEvents(filter);
    for (const text of unreadable) {
      this.add(
        MONITORING_DEFS_ERR_EVENT,
        path,
        `compares ${JSON.stringify(text)}`,
        'jsonPayload.event="name" or jsonPayload.event=("a" OR "b")',
      );
    }
    if (required && events.length === 0 && unreadable.length === 0) {
      this.add(
        MONITORING_DEFS_ERR_EVENT,
        path,
        'names no event',
        'jsonPayload.event="<name>" with events of lib/log-events.ts, so the filter follows what the code logs',
      );
    }
    for (const event of events) {
      if (!isLogEvent(event)) {
        this.add(
          MONITORING_DEFS_ERR_EVENT,
          path,
          `names event ${JSON.stringify(event)}, which no code logs`,
          'an event of lib/log-events.ts',
        );
      }
    }
  }

  labels(path: string, labels: unknown): void {
    for (const [k, v] of Object.entries(rec(labels))) {
      const at = childPath(path, k);
      if (!LABEL_KEY.test(k)) {
        this.rule(
          at,
          'has a key Monitoring refuses',
          'a key of lowercase letters, digits, _ or -, starting with a letter, at most 63 characters',
        );
      } else if (typeof v === 'string' && !LABEL_VALUE.test(v)) {
        this.rule(
          at,
          `is ${describeValue(v)}`,
          'lowercase letters, digits, _ or -, at most 63 characters',
        );
      }
    }
  }

  /** A Monitoring time-series filter: its metric and resource types, and log metrics it names. */
  seriesFilter(path: string, filter: unknown, needsResourceType: boolean): void {
    if (typeof filter !== 'string') return;
    const types = filterMetricTypes(filter);
    if (types.length === 0) {
      this.rule(
        path,
        'names no metric.type',
        'metric.type="<type>" (Monitoring requires the metric type)',
      );
    }
    if (needsResourceType && !filterNamesResourceType(filter)) {
      this.rule(
        path,
        'names no resource.type',
        'resource.type="<type>" (Monitoring requires the resource type)',
      );
    }
    for (const type of types) {
      if (!type.startsWith(USER_METRIC_PREFIX)) continue;
      const name = type.slice(USER_METRIC_PREFIX.length);
      if (!this.index.logMetricNames.has(name)) {
        this.add(
          MONITORING_DEFS_ERR_REFERENCE,
          path,
          `names metric ${JSON.stringify(type)}, which no log-metric definition defines`,
          `a log metric of log-metrics/ (${[...this.index.logMetricNames].join(', ') || 'none'})`,
        );
      }
    }
  }

  aggregations(path: string, aggregations: unknown): void {
    list(aggregations).forEach((a, i) => {
      const at = itemPath(path, i);
      const agg = rec(a);
      const period = durationSeconds(agg.alignmentPeriod);
      const aligner = agg.perSeriesAligner;
      const reducer = agg.crossSeriesReducer;
      if (period !== null && period < 60) {
        this.rule(
          childPath(at, 'alignmentPeriod'),
          `is ${describeValue(agg.alignmentPeriod)}`,
          'at least 60s',
        );
      }
      if (aligner !== undefined && aligner !== 'ALIGN_NONE' && period === null) {
        this.rule(
          childPath(at, 'alignmentPeriod'),
          'is missing',
          `a period for perSeriesAligner ${String(aligner)}`,
        );
      }
      if (
        reducer !== undefined &&
        reducer !== 'REDUCE_NONE' &&
        (aligner === undefined || aligner === 'ALIGN_NONE')
      ) {
        this.rule(
          childPath(at, 'perSeriesAligner'),
          state(aligner),
          `an aligner for crossSeriesReducer ${String(reducer)}`,
        );
      }
    });
  }

  wholeMinutes(path: string, value: unknown, minimum: number): void {
    const s = durationSeconds(value);
    if (s === null) return;
    if (s < minimum || s % 60 !== 0) {
      this.rule(
        path,
        `is ${describeValue(value)}`,
        `whole minutes${minimum > 0 ? `, at least ${minimum}s` : ''} (e.g. "${Math.max(minimum, 60) * 5}s")`,
      );
    }
  }

  threshold(path: string, t: Json): void {
    if (t.comparison !== 'COMPARISON_GT' && t.comparison !== 'COMPARISON_LT') {
      this.rule(
        childPath(path, 'comparison'),
        state(t.comparison),
        'COMPARISON_GT or COMPARISON_LT (the only comparisons a metric threshold supports)',
      );
    }
    if (t.thresholdValue === undefined) {
      this.rule(
        childPath(path, 'thresholdValue'),
        'is missing',
        'the threshold, written out (even 0)',
      );
    }
    this.wholeMinutes(childPath(path, 'duration'), t.duration, 0);
    if (t.evaluationMissingData !== undefined && (durationSeconds(t.duration) ?? 0) < 60) {
      this.rule(
        childPath(path, 'evaluationMissingData'),
        `is set with duration ${describeValue(t.duration)}`,
        'a duration of at least 60s to use evaluationMissingData',
      );
    }
    const horizon = rec(t.forecastOptions).forecastHorizon;
    const h = durationSeconds(horizon);
    if (h !== null && (h < MIN_FORECAST_S || h > MAX_FORECAST_S)) {
      this.rule(
        childPath(childPath(path, 'forecastOptions'), 'forecastHorizon'),
        `is ${describeValue(horizon)}`,
        `from ${MIN_FORECAST_S}s (1 h) to ${MAX_FORECAST_S}s (60 h)`,
      );
    }
    this.seriesFilter(childPath(path, 'filter'), t.filter, true);
    this.aggregations(childPath(path, 'aggregations'), t.aggregations);
    const hasDenominator = t.denominatorFilter !== undefined;
    if (hasDenominator !== (t.denominatorAggregations !== undefined)) {
      const missing = hasDenominator ? 'denominatorAggregations' : 'denominatorFilter';
      this.rule(
        childPath(path, missing),
        'is missing',
        `${missing} beside ${hasDenominator ? 'denominatorFilter' : 'denominatorAggregations'}: a ratio needs both`,
      );
    }
    if (hasDenominator) {
      this.seriesFilter(childPath(path, 'denominatorFilter'), t.denominatorFilter, false);
      this.aggregations(childPath(path, 'denominatorAggregations'), t.denominatorAggregations);
      const periods = (aggs: unknown) => list(aggs).map((a) => rec(a).alignmentPeriod ?? null);
      const [num, den] = [periods(t.aggregations), periods(t.denominatorAggregations)];
      if (t.denominatorAggregations !== undefined && JSON.stringify(num) !== JSON.stringify(den)) {
        this.rule(
          childPath(path, 'denominatorAggregations'),
          `align over ${JSON.stringify(den)}`,
          `the numerator's alignment periods ${JSON.stringify(num)} (a ratio's two sides align alike)`,
        );
      }
    }
  }

  absent(path: string, a: Json): void {
    if (a.duration === undefined) {
      this.rule(
        childPath(path, 'duration'),
        'is missing',
        'how long without data fails the series: whole minutes, at least 120s',
      );
    }
    this.wholeMinutes(childPath(path, 'duration'), a.duration, 120);
    this.seriesFilter(childPath(path, 'filter'), a.filter, true);
    this.aggregations(childPath(path, 'aggregations'), a.aggregations);
  }

  documentation(r: Json, ctx: MonitoringContext): void {
    if (r.documentation === undefined) {
      this.rule(
        'documentation',
        'is missing',
        `text/markdown content and a Runbook link (${runbookPath('<displayName>')})`,
      );
      return;
    }
    const doc = rec(r.documentation);
    if (doc.mimeType !== 'text/markdown') {
      this.rule(
        'documentation.mimeType',
        state(doc.mimeType),
        '"text/markdown" (the only type Monitoring supports)',
      );
    }
    const content = typeof doc.content === 'string' ? doc.content : '';
    if (content.trim() === '' || content.length > MAX_DOC_CHARS) {
      this.rule(
        'documentation.content',
        content === '' ? 'is missing' : `has ${content.length} characters`,
        `what fired and what to do first, at most ${MAX_DOC_CHARS} characters`,
      );
    }
    if (typeof doc.subject === 'string' && doc.subject.length > MAX_SUBJECT_CHARS) {
      this.rule(
        'documentation.subject',
        `has ${doc.subject.length} characters`,
        `at most ${MAX_SUBJECT_CHARS}`,
      );
    }
    const links = list(doc.links);
    if (links.length > MAX_LINKS) {
      this.rule('documentation.links', `has ${links.length} links`, `at most ${MAX_LINKS}`);
    }
    if (typeof r.displayName !== 'string' || !ALERTNAME_PATTERN.test(r.displayName)) return;
    const want = absoluteRunbookUrl(runbookPath(r.displayName), ctx.runbookBaseUrl);
    const i = runbookLinkIndex(doc);
    const got = i < 0 ? undefined : rec(links[i]).url;
    if (got !== want) {
      this.rule(
        i < 0 ? 'documentation.links' : `documentation.links[${i}].url`,
        i < 0 ? 'has no runbook link' : `is ${describeValue(got)}`,
        `{displayName: Runbook, url: ${runbookPath(r.displayName)}}: the runbook of alertname ${r.displayName}`,
      );
    }
  }

  policy(r: Json, ctx: MonitoringContext, channelRefs: readonly string[]): void {
    if (typeof r.displayName !== 'string' || !ALERTNAME_PATTERN.test(r.displayName)) {
      this.rule(
        'displayName',
        state(r.displayName),
        'the alertname its incidents raise (letters, digits, _; e.g. InferErrorLogged): alertIngest names the alert after the policy',
      );
    }
    if (!SEVERITIES.includes(String(r.severity))) {
      this.rule(
        'severity',
        state(r.severity),
        `one of ${SEVERITIES.join(', ')}: alertIngest takes the alert's severity from it`,
      );
    }
    if (channelRefs.length === 0) {
      this.rule(
        'notificationChannels',
        'is missing',
        'the channel definition ids to notify, e.g. [alert-ingest]',
      );
    }
    this.labels('userLabels', r.userLabels);
    this.documentation(r, ctx);

    const conditions = list(r.conditions);
    if (conditions.length === 0 || conditions.length > MAX_CONDITIONS) {
      this.rule(
        'conditions',
        conditions.length === 0 ? 'is missing' : `has ${conditions.length} conditions`,
        `1 to ${MAX_CONDITIONS} conditions`,
      );
    }
    const kinds = conditions.map((c) => CONDITION_TYPES.find((t) => rec(c)[t] !== undefined));
    const names = new Set<string>();
    conditions.forEach((c, i) => {
      const at = itemPath('conditions', i);
      const kind = kinds[i];
      const condition = rec(c);
      if (typeof condition.displayName !== 'string' || condition.displayName === '') {
        this.rule(
          childPath(at, 'displayName'),
          'is missing',
          "a name for the condition (the alert's condition label)",
        );
      } else if (names.has(condition.displayName)) {
        this.rule(
          childPath(at, 'displayName'),
          `is ${describeValue(condition.displayName)} again`,
          'a display name no other condition of the policy has',
        );
      } else {
        names.add(condition.displayName);
      }
      if (kind === undefined) {
        this.rule(at, 'sets no condition type', `exactly one of ${CONDITION_TYPES.join(', ')}`);
      } else if (kind === 'conditionThreshold') {
        this.threshold(childPath(at, kind), rec(condition[kind]));
      } else if (kind === 'conditionAbsent') {
        this.absent(childPath(at, kind), rec(condition[kind]));
      } else if (kind === 'conditionMatchedLog') {
        this.events(childPath(childPath(at, kind), 'filter'), rec(condition[kind]).filter, true);
      }
    });
    if (
      conditions.length > 1 &&
      (r.combiner === undefined || r.combiner === 'COMBINE_UNSPECIFIED')
    ) {
      this.rule(
        'combiner',
        state(r.combiner),
        'AND, OR or AND_WITH_MATCHING_RESOURCE: how 2 or more conditions combine',
      );
    }

    const logAt = kinds.indexOf('conditionMatchedLog');
    const isLog = logAt >= 0;
    conditions.forEach((_, i) => {
      if (isLog && i !== logAt) {
        this.rule(
          itemPath('conditions', i),
          `is a condition beside the log-match condition conditions[${logAt}]`,
          'a log-match condition alone in its policy (Monitoring refuses any other beside it)',
        );
      }
    });
    const strategy = rec(r.alertStrategy);
    if (isLog && rec(strategy.notificationRateLimit).period === undefined) {
      this.rule(
        'alertStrategy.notificationRateLimit',
        'is missing',
        'a period, e.g. {period: 300s}: Monitoring requires a notification rate limit on a log-match policy',
      );
    }
    if (!isLog && strategy.notificationRateLimit !== undefined) {
      this.rule(
        'alertStrategy.notificationRateLimit',
        'is set on a policy without a log-match condition',
        'it left out: Monitoring rate-limits log-match policies only and refuses the limit on others',
      );
    }
    const prompts = strategy.notificationPrompts;
    if (isLog && prompts !== undefined && JSON.stringify(prompts) !== '["OPENED"]') {
      this.rule(
        'alertStrategy.notificationPrompts',
        `is ${JSON.stringify(prompts)}`,
        '[OPENED]: a log-match policy notifies only when an incident opens',
      );
    }
    if (isLog && strategy.autoClose === undefined) {
      this.rule(
        'alertStrategy.autoClose',
        'is missing',
        'a duration such as 1800s: a log-match incident closes by nothing else',
      );
    }
    if (strategy.notificationChannelStrategy !== undefined) {
      this.rule(
        'alertStrategy.notificationChannelStrategy',
        'is set',
        'it left out: channels are named by definition id in notificationChannels, and the engine repeats notifications (repeat_interval)',
      );
    }
  }

  channel(r: Json): void {
    if (r.type !== 'pubsub') {
      this.rule('type', state(r.type), '"pubsub": incidents come back through alertIngest');
    }
    const labels = rec(r.labels);
    for (const key of Object.keys(labels)) {
      if (key !== 'topic')
        this.rule(
          childPath('labels', key),
          'is not a label of a pubsub channel',
          'only labels.topic',
        );
    }
    if (typeof labels.topic !== 'string' || !TOPIC.test(labels.topic)) {
      this.rule(
        'labels.topic',
        state(labels.topic),
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the placeholder syntax, as written
        'projects/<project>/topics/<topic>, e.g. projects/${project}/topics/alert-ingest',
      );
    }
    if (typeof r.displayName !== 'string' || r.displayName === '') {
      this.rule('displayName', 'is missing', 'the name the channel is found by in the project');
    }
    this.labels('userLabels', r.userLabels);
  }

  logMetric(r: Json, id: string): void {
    if (r.name !== id) {
      this.rule(
        'name',
        state(r.name),
        `${JSON.stringify(id)}, the definition's id (its file name)`,
      );
    }
    this.events('filter', r.filter, true);
    const descriptor = rec(r.metricDescriptor);
    if (descriptor.metricKind !== undefined && descriptor.metricKind !== 'DELTA') {
      this.rule(
        'metricDescriptor.metricKind',
        state(descriptor.metricKind),
        'DELTA (a log-based metric counts entries per interval)',
      );
    }
    const valueType = descriptor.valueType ?? 'INT64';
    if (valueType !== 'INT64' && valueType !== 'DISTRIBUTION') {
      this.rule(
        'metricDescriptor.valueType',
        `is ${describeValue(valueType)}`,
        'INT64 (a counter) or DISTRIBUTION',
      );
    }
    const distribution = valueType === 'DISTRIBUTION';
    if (distribution !== (r.valueExtractor !== undefined)) {
      this.rule(
        'valueExtractor',
        distribution ? 'is missing' : 'is set on a counter',
        distribution
          ? 'an EXTRACT(...) of the distributed value'
          : 'it left out, or valueType DISTRIBUTION',
      );
    }
    if (distribution && r.bucketOptions === undefined) {
      this.rule('bucketOptions', 'is missing', 'the buckets of the distribution');
    }
    if (!distribution && r.bucketOptions !== undefined) {
      this.rule('bucketOptions', 'is set on a counter', 'it left out, or valueType DISTRIBUTION');
    }
    const declared = list(descriptor.labels).map((l) => String(rec(l).key));
    const extracted = rec(r.labelExtractors);
    for (const [key, extractor] of Object.entries(extracted)) {
      const at = childPath('labelExtractors', key);
      if (!declared.includes(key)) {
        this.rule(
          at,
          'is not declared',
          `a label of metricDescriptor.labels (${declared.join(', ') || 'none'})`,
        );
      }
      if (typeof extractor === 'string' && !EXTRACTOR.test(extractor)) {
        this.rule(
          at,
          `is ${describeValue(extractor)}`,
          'EXTRACT(<field>) or REGEXP_EXTRACT(<field>, "<regex>")',
        );
      }
    }
    declared.forEach((key, i) => {
      if (!Object.hasOwn(extracted, key)) {
        this.rule(
          `metricDescriptor.labels[${i}]`,
          `declares ${JSON.stringify(key)} without an extractor`,
          `labelExtractors.${key}`,
        );
      }
    });
  }

  sink(r: Json, id: string): void {
    if (r.name !== id) {
      this.rule(
        'name',
        state(r.name),
        `${JSON.stringify(id)}, the definition's id (its file name)`,
      );
    }
    const dest = typeof r.destination === 'string' ? SINK_DESTINATION.exec(r.destination) : null;
    if (dest === null || !TOPIC.test(dest[1] ?? '')) {
      this.rule(
        'destination',
        state(r.destination),
        'pubsub.googleapis.com/projects/<project>/topics/<topic>: the sinks feed alertIngest',
      );
    }
    this.events('filter', r.filter, true);
    list(r.exclusions).forEach((x, i) => {
      this.events(`exclusions[${i}].filter`, rec(x).filter, false);
    });
  }
}

/**
 * The rule problems of one resolved resource of `kind`. `channelRefs` are a policy's channel
 * definition ids (checked against the index by the caller).
 */
export function checkRules(
  kind: MonitoringKind,
  definition: { readonly id: string; readonly file: string },
  resource: Readonly<Record<string, unknown>>,
  channelRefs: readonly string[],
  ctx: MonitoringContext,
  index: DefinitionIndex,
): MonitoringDefinitionError[] {
  const rules = new Rules(definition.file, index);
  if (kind === 'policies') rules.policy(resource, ctx, channelRefs);
  else if (kind === 'channels') rules.channel(resource);
  else if (kind === 'logMetrics') rules.logMetric(resource, definition.id);
  else rules.sink(resource, definition.id);
  return rules.problems;
}
