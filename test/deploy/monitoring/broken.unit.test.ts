/**
 * The validator on broken files, one per rule: each row writes one broken file into a copy of
 * the shipped definitions and asserts the complete list of problems, code and message, so that a
 * check that stops firing, or starts firing elsewhere, fails here. The copies live outside the
 * repository, so their files are named relative to the copy's root (`policies/x.yaml`).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { parse, stringify } from 'yaml';
import {
  MONITORING_DEFS_ERR_EVENT,
  MONITORING_DEFS_ERR_FIELD,
  MONITORING_DEFS_ERR_INVALID,
  MONITORING_DEFS_ERR_PLACEHOLDER,
  MONITORING_DEFS_ERR_REFERENCE,
  MONITORING_DEFS_ERR_RULE,
  MONITORING_DEFS_ERR_UNREADABLE,
  MonitoringDefinitionsError,
} from '../../../deploy/monitoring/errors.js';
import {
  loadMonitoringDefinitions,
  validateMonitoringDefinitions,
} from '../../../deploy/monitoring/load.js';
import { DEFAULT_MONITORING_ROOT } from '../../../deploy/monitoring/read.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests edit and read parsed YAML freely.
type Json = Record<string, any>;

interface Row {
  readonly rule: string;
  /** The file to write, relative to the definitions root. */
  readonly file: string;
  /** A shipped file changed (parsed, edited, written back as YAML), or raw text. */
  readonly edit: ((r: Json) => void) | string;
  readonly problems: readonly (readonly [code: string, message: string])[];
}

const THRESHOLD = 'conditions[0].conditionThreshold';
const P5XX = 'policies/infer-5xx-ratio.yaml';
const PLOG = 'policies/infer-error-logged.yaml';

const ROWS: readonly Row[] = [
  {
    rule: 'an unknown field',
    file: P5XX,
    edit: (r) => {
      r.conditions[0].conditionThreshold.threshold = 0.05;
    },
    problems: [
      [
        MONITORING_DEFS_ERR_FIELD,
        `${P5XX}: field ${THRESHOLD}.threshold is unknown; expected a field of google.monitoring.v3.AlertPolicy.Condition.MetricThreshold: filter, aggregations, denominatorFilter, denominatorAggregations, forecastOptions, comparison, thresholdValue, duration, trigger, evaluationMissingData`,
      ],
    ],
  },
  {
    rule: 'a snake_case field (proto3 JSON is camelCase)',
    file: P5XX,
    edit: (r) => {
      r.user_labels = r.userLabels;
      delete r.userLabels;
    },
    problems: [
      [
        MONITORING_DEFS_ERR_FIELD,
        `${P5XX}: field user_labels is unknown; expected userLabels (proto3 JSON spells the fields of google.monitoring.v3.AlertPolicy in lowerCamelCase)`,
      ],
    ],
  },
  {
    rule: 'a bad enum name',
    file: P5XX,
    edit: (r) => {
      r.severity = 'SEV1';
    },
    problems: [
      [
        MONITORING_DEFS_ERR_FIELD,
        `${P5XX}: field severity is "SEV1"; expected one of SEVERITY_UNSPECIFIED, CRITICAL, ERROR, WARNING (google.monitoring.v3.AlertPolicy.Severity)`,
      ],
    ],
  },
  {
    rule: 'a threshold that is not a number',
    file: P5XX,
    edit: (r) => {
      r.conditions[0].conditionThreshold.thresholdValue = '0.05';
    },
    problems: [
      [
        MONITORING_DEFS_ERR_FIELD,
        `${P5XX}: field ${THRESHOLD}.thresholdValue is "0.05"; expected a number (double)`,
      ],
    ],
  },
  {
    rule: 'two members of one oneof',
    file: P5XX,
    edit: (r) => {
      r.conditions[0].conditionAbsent = { filter: 'metric.type="x"', duration: '300s' };
    },
    problems: [
      [
        MONITORING_DEFS_ERR_FIELD,
        `${P5XX}: field conditions[0].conditionAbsent is set beside conditionThreshold; expected at most one of conditionThreshold, conditionAbsent, conditionMatchedLog, conditionMonitoringQueryLanguage, conditionPrometheusQueryLanguage, conditionSql (oneof condition)`,
      ],
    ],
  },
  {
    rule: 'a malformed Duration',
    file: P5XX,
    edit: (r) => {
      r.conditions[0].conditionThreshold.duration = '5 minutes';
    },
    problems: [
      [
        MONITORING_DEFS_ERR_FIELD,
        `${P5XX}: field ${THRESHOLD}.duration is "5 minutes"; expected a Duration: whole seconds with up to 9 decimals and a trailing "s", e.g. "300s" or "1.5s"`,
      ],
    ],
  },
  {
    rule: 'a list where a mapping belongs, and a mapping where a list belongs',
    file: P5XX,
    edit: (r) => {
      r.userLabels = ['environment'];
      r.conditions[0].conditionThreshold.aggregations =
        r.conditions[0].conditionThreshold.aggregations[0];
    },
    problems: [
      [
        MONITORING_DEFS_ERR_FIELD,
        `${P5XX}: field userLabels is an array of 1; expected a mapping of string to string`,
      ],
      [
        MONITORING_DEFS_ERR_FIELD,
        `${P5XX}: field ${THRESHOLD}.aggregations is an object; expected a list (each a google.monitoring.v3.Aggregation)`,
      ],
    ],
  },
  {
    rule: 'an empty YAML value (null)',
    file: P5XX,
    edit: (r) => {
      r.documentation.subject = null;
    },
    problems: [
      [
        MONITORING_DEFS_ERR_FIELD,
        `${P5XX}: field documentation.subject is null; expected a string, or the field left out`,
      ],
    ],
  },
  {
    rule: 'a field the server sets',
    file: 'sinks/function-problems.yaml',
    edit: (r) => {
      r.writerIdentity = 'serviceAccount:x@example.iam.gserviceaccount.com';
    },
    problems: [
      [
        MONITORING_DEFS_ERR_FIELD,
        'sinks/function-problems.yaml: field writerIdentity is set by the server; expected the field left out of a definition',
      ],
    ],
  },
  {
    rule: 'a log-match policy without a notification rate limit',
    file: PLOG,
    edit: (r) => {
      delete r.alertStrategy.notificationRateLimit;
    },
    problems: [
      [
        MONITORING_DEFS_ERR_RULE,
        `${PLOG}: field alertStrategy.notificationRateLimit is missing; expected a period, e.g. {period: 300s}: Monitoring requires a notification rate limit on a log-match policy`,
      ],
    ],
  },
  {
    rule: 'a rate limit on a policy without a log-match condition',
    file: P5XX,
    edit: (r) => {
      r.alertStrategy.notificationRateLimit = { period: '300s' };
    },
    problems: [
      [
        MONITORING_DEFS_ERR_RULE,
        `${P5XX}: field alertStrategy.notificationRateLimit is set on a policy without a log-match condition; expected it left out: Monitoring rate-limits log-match policies only and refuses the limit on others`,
      ],
    ],
  },
  {
    rule: 'two log-match conditions in one policy',
    file: PLOG,
    edit: (r) => {
      r.conditions.push({ ...r.conditions[0], displayName: 'again' });
    },
    problems: [
      [
        MONITORING_DEFS_ERR_RULE,
        `${PLOG}: field conditions[1] is a condition beside the log-match condition conditions[0]; expected a log-match condition alone in its policy (Monitoring refuses any other beside it)`,
      ],
    ],
  },
  {
    rule: 'a comparison metric thresholds do not support',
    file: P5XX,
    edit: (r) => {
      r.conditions[0].conditionThreshold.comparison = 'COMPARISON_GE';
    },
    problems: [
      [
        MONITORING_DEFS_ERR_RULE,
        `${P5XX}: field ${THRESHOLD}.comparison is "COMPARISON_GE"; expected COMPARISON_GT or COMPARISON_LT (the only comparisons a metric threshold supports)`,
      ],
    ],
  },
  {
    rule: 'a forecast horizon under an hour',
    file: 'policies/infer-latency-p99-forecast.yaml',
    edit: (r) => {
      r.conditions[0].conditionThreshold.forecastOptions.forecastHorizon = '1800s';
    },
    problems: [
      [
        MONITORING_DEFS_ERR_RULE,
        `policies/infer-latency-p99-forecast.yaml: field ${THRESHOLD}.forecastOptions.forecastHorizon is "1800s"; expected from 3600s (1 h) to 216000s (60 h)`,
      ],
    ],
  },
  {
    rule: 'a display name that is no alertname, and no runbook link',
    file: P5XX,
    edit: (r) => {
      r.displayName = 'infer 5xx > 5%';
      r.documentation.links = [];
    },
    problems: [
      [
        MONITORING_DEFS_ERR_RULE,
        `${P5XX}: field displayName is "infer 5xx > 5%"; expected the alertname its incidents raise (letters, digits, _; e.g. InferErrorLogged): alertIngest names the alert after the policy`,
      ],
    ],
  },
  {
    rule: "a runbook link that is not the alertname's runbook",
    file: P5XX,
    edit: (r) => {
      r.documentation.links = [{ displayName: 'Runbook', url: 'docs/runbooks/InferDown.md' }];
    },
    problems: [
      [
        MONITORING_DEFS_ERR_RULE,
        `${P5XX}: field documentation.links[0].url is "docs/runbooks/InferDown.md"; expected {displayName: Runbook, url: docs/runbooks/Infer5xxRatioHigh.md}: the runbook of alertname Infer5xxRatioHigh`,
      ],
    ],
  },
  {
    rule: 'an unknown placeholder',
    file: P5XX,
    edit: (r) => {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the placeholder syntax, as written
      r.conditions[0].conditionThreshold.filter += ' AND resource.labels.project_id="${projectId}"';
    },
    problems: [
      [
        MONITORING_DEFS_ERR_PLACEHOLDER,
        `${P5XX}: field ${THRESHOLD}.filter has placeholder "\${projectId}"; expected one of \${project}, \${region}, \${environment}, \${serviceName}, \${maxInstances} (or a Cloud Monitoring variable such as \${resource.label.service_name})`,
      ],
    ],
  },
  {
    rule: "a numeric placeholder's product inside text",
    file: P5XX,
    edit: (r) => {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the placeholder syntax, as written
      r.documentation.subject = 'above ${maxInstances * 0.75} instances';
    },
    problems: [
      [
        MONITORING_DEFS_ERR_PLACEHOLDER,
        `${P5XX}: field documentation.subject has placeholder "\${maxInstances * 0.75}"; expected \${maxInstances * factor} only as a whole value (a number field), not inside text`,
      ],
    ],
  },
  {
    rule: 'an unknown channel ref',
    file: P5XX,
    edit: (r) => {
      r.notificationChannels = ['pager'];
    },
    problems: [
      [
        MONITORING_DEFS_ERR_REFERENCE,
        `${P5XX}: field notificationChannels[0] is "pager", which is no channel definition; expected a channel definition id of channels/ (alert-ingest)`,
      ],
    ],
  },
  {
    rule: 'a channel named by its resource name',
    file: P5XX,
    edit: (r) => {
      r.notificationChannels = ['projects/p/notificationChannels/111'];
    },
    problems: [
      [
        MONITORING_DEFS_ERR_REFERENCE,
        `${P5XX}: field notificationChannels[0] is the resource name "projects/p/notificationChannels/111"; expected a channel definition id of channels/ (alert-ingest): Monitoring names channels per project`,
      ],
    ],
  },
  {
    rule: 'a log metric no definition defines',
    file: 'policies/sweeper-heartbeat-missing.yaml',
    edit: (r) => {
      r.conditions[0].conditionAbsent.filter =
        'resource.type="cloud_run_revision" AND metric.type="logging.googleapis.com/user/sweeps"';
    },
    problems: [
      [
        MONITORING_DEFS_ERR_REFERENCE,
        'policies/sweeper-heartbeat-missing.yaml: field conditions[0].conditionAbsent.filter names metric "logging.googleapis.com/user/sweeps", which no log-metric definition defines; expected a log metric of log-metrics/ (sweep-completed, sweep-probe-failures)',
      ],
    ],
  },
  {
    rule: "an unknown event in a log metric's filter",
    file: 'log-metrics/sweep-completed.yaml',
    edit: (r) => {
      r.filter = 'resource.type="cloud_run_revision" AND jsonPayload.event="sweep.complete"';
    },
    problems: [
      [
        MONITORING_DEFS_ERR_EVENT,
        'log-metrics/sweep-completed.yaml: field filter names event "sweep.complete", which no code logs; expected an event of lib/log-events.ts',
      ],
    ],
  },
  {
    rule: 'an unknown event in a log-match filter, and one compared other than with =',
    file: PLOG,
    edit: (r) => {
      r.conditions[0].conditionMatchedLog.filter =
        'severity>=ERROR AND jsonPayload.event=("http.error" OR "http.eror") AND NOT jsonPayload.event:"drain"';
    },
    problems: [
      [
        MONITORING_DEFS_ERR_EVENT,
        `${PLOG}: field conditions[0].conditionMatchedLog.filter compares "jsonPayload.event:\\"drain\\""; expected jsonPayload.event="name" or jsonPayload.event=("a" OR "b")`,
      ],
      [
        MONITORING_DEFS_ERR_EVENT,
        `${PLOG}: field conditions[0].conditionMatchedLog.filter names event "http.eror", which no code logs; expected an event of lib/log-events.ts`,
      ],
    ],
  },
  {
    rule: 'a sink filter that names no event',
    file: 'sinks/function-problems.yaml',
    edit: (r) => {
      r.filter = 'severity>=WARNING';
    },
    problems: [
      [
        MONITORING_DEFS_ERR_EVENT,
        'sinks/function-problems.yaml: field filter names no event; expected jsonPayload.event="<name>" with events of lib/log-events.ts, so the filter follows what the code logs',
      ],
    ],
  },
  {
    rule: 'a log metric whose label has no extractor',
    file: 'log-metrics/sweep-probe-failures.yaml',
    edit: (r) => {
      r.labelExtractors = {};
    },
    problems: [
      [
        MONITORING_DEFS_ERR_RULE,
        'log-metrics/sweep-probe-failures.yaml: field metricDescriptor.labels[0] declares "target" without an extractor; expected labelExtractors.target',
      ],
    ],
  },
  {
    rule: 'a channel that is not Pub/Sub',
    file: 'channels/alert-ingest.yaml',
    edit: (r) => {
      r.type = 'email';
      r.labels = { email_address: 'oncall@example.com' };
    },
    problems: [
      [
        MONITORING_DEFS_ERR_RULE,
        'channels/alert-ingest.yaml: field type is "email"; expected "pubsub": incidents come back through alertIngest',
      ],
      [
        MONITORING_DEFS_ERR_RULE,
        'channels/alert-ingest.yaml: field labels.email_address is not a label of a pubsub channel; expected only labels.topic',
      ],
      [
        MONITORING_DEFS_ERR_RULE,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the placeholder syntax, as written
        'channels/alert-ingest.yaml: field labels.topic is missing; expected projects/<project>/topics/<topic>, e.g. projects/${project}/topics/alert-ingest',
      ],
    ],
  },
  {
    rule: 'YAML that does not parse',
    file: P5XX,
    edit: 'displayName: Infer5xxRatioHigh\nseverity: [ERROR\n',
    problems: [
      [
        MONITORING_DEFS_ERR_UNREADABLE,
        `${P5XX}: is not valid YAML at line 3, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]`,
      ],
    ],
  },
  {
    rule: 'a YAML alias',
    file: P5XX,
    edit: 'displayName: &name Infer5xxRatioHigh\ndescription: *name\n',
    problems: [
      [
        MONITORING_DEFS_ERR_UNREADABLE,
        `${P5XX}: uses a YAML alias (*name); expected every value written out`,
      ],
    ],
  },
  {
    rule: 'two resources in one file',
    file: P5XX,
    edit: 'displayName: A\n---\ndisplayName: B\n',
    problems: [
      [
        MONITORING_DEFS_ERR_UNREADABLE,
        `${P5XX}: holds 2 YAML documents; expected one resource per file`,
      ],
    ],
  },
  {
    rule: 'a file name that is no kebab-case id',
    file: 'policies/Infer_5xx.yaml',
    edit: 'displayName: A\n',
    problems: [
      [
        MONITORING_DEFS_ERR_UNREADABLE,
        'policies/Infer_5xx.yaml: is not a definition file; expected <id>.yaml with a kebab-case id',
      ],
    ],
  },
];

function withBroken(row: Row): string {
  const dir = mkdtempSync(join(tmpdir(), 'runwatch-monitoring-'));
  cpSync(DEFAULT_MONITORING_ROOT, dir, { recursive: true });
  const path = join(dir, row.file);
  if (typeof row.edit === 'string') {
    writeFileSync(path, row.edit);
  } else {
    const resource = parse(readFileSync(path, 'utf8')) as Json;
    row.edit(resource);
    writeFileSync(path, stringify(resource, { aliasDuplicateObjects: false }));
  }
  return dir;
}

for (const row of ROWS) {
  test(`monitoring validator: ${row.rule} is refused with its code and message (${row.file})`, (t) => {
    const dir = withBroken(row);
    try {
      const report = validateMonitoringDefinitions(dir);
      t.deepEqual(
        report.problems.map((p) => [p.code, p.message]),
        row.problems,
      );
      for (const p of report.problems) t.is(p.file, row.file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('monitoring validator: loading throws every problem of every file at once, as MONITORING_DEFS_ERR_INVALID', (t) => {
  const dir = withBroken(ROWS[2] as Row);
  try {
    writeFileSync(join(dir, 'log-metrics/sweep-completed.yaml'), 'name: [\n');
    const error = t.throws(() => loadMonitoringDefinitions(dir), {
      instanceOf: MonitoringDefinitionsError,
    });
    t.is(error?.code, MONITORING_DEFS_ERR_INVALID);
    t.deepEqual(
      error?.problems.map((p) => [p.code, p.file]),
      [
        [MONITORING_DEFS_ERR_UNREADABLE, 'log-metrics/sweep-completed.yaml'],
        [MONITORING_DEFS_ERR_FIELD, P5XX],
        [MONITORING_DEFS_ERR_REFERENCE, 'policies/sweeper-heartbeat-missing.yaml'],
      ],
    );
    t.regex(
      error?.message ?? '',
      /^monitoring definitions: 3 problem\(s\)\n {2}MONITORING_DEFS_ERR_UNREADABLE log-metrics/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('monitoring validator: a folder that is no kind of definition is refused; a missing folder is no definitions of that kind', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'runwatch-monitoring-'));
  try {
    cpSync(join(DEFAULT_MONITORING_ROOT, 'channels'), join(dir, 'channels'), { recursive: true });
    cpSync(join(DEFAULT_MONITORING_ROOT, 'log-metrics'), join(dir, 'dashboards'), {
      recursive: true,
    });
    const report = validateMonitoringDefinitions(dir);
    t.deepEqual(
      report.problems.map((p) => p.message),
      [
        'dashboards: is not a definitions folder; expected only channels/, log-metrics/, sinks/, policies/',
      ],
    );
    t.is(report.definitions.channels.length, 1);
    t.is(report.definitions.policies.length, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
