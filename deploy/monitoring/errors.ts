import { type ErrorSpec, RunwatchError } from '../../lib/errors.js';

/**
 * Errors of the alerting-as-code definitions (alerts/definitions/monitoring/): reading them,
 * checking them against the Cloud APIs' protos and the rules the protos cannot express, and
 * resolving them for one environment. One problem is a `MonitoringDefinitionError`: its code, the
 * file (relative to the repository root), the field as a JSON path, and a message naming the
 * value and what was expected. Loading and resolving collect every problem and throw them
 * together as one `MonitoringDefinitionsError`.
 */
export class MonitoringDefinitionError extends RunwatchError {
  readonly file: string;

  constructor(code: MonitoringProblemCode, file: string, field: string, message: string) {
    super(code, 400, message, { field });
    this.file = file;
  }
}

/** Every problem found at once, in file order. */
export class MonitoringDefinitionsError extends RunwatchError {
  readonly problems: readonly MonitoringDefinitionError[];

  constructor(problems: readonly MonitoringDefinitionError[], what: string) {
    super(
      MONITORING_DEFS_ERR_INVALID,
      400,
      `${what}: ${problems.length} problem(s)\n${problems.map((p) => `  ${p.code} ${p.message}`).join('\n')}`,
    );
    this.problems = problems;
  }
}

export const MONITORING_DEFS_ERR_INVALID = 'MONITORING_DEFS_ERR_INVALID';
export const MONITORING_DEFS_ERR_UNREADABLE = 'MONITORING_DEFS_ERR_UNREADABLE';
export const MONITORING_DEFS_ERR_FIELD = 'MONITORING_DEFS_ERR_FIELD';
export const MONITORING_DEFS_ERR_RULE = 'MONITORING_DEFS_ERR_RULE';
export const MONITORING_DEFS_ERR_PLACEHOLDER = 'MONITORING_DEFS_ERR_PLACEHOLDER';
export const MONITORING_DEFS_ERR_REFERENCE = 'MONITORING_DEFS_ERR_REFERENCE';
export const MONITORING_DEFS_ERR_EVENT = 'MONITORING_DEFS_ERR_EVENT';
export const MONITORING_DEFS_ERR_CONTEXT = 'MONITORING_DEFS_ERR_CONTEXT';

export type MonitoringProblemCode =
  | typeof MONITORING_DEFS_ERR_UNREADABLE
  | typeof MONITORING_DEFS_ERR_FIELD
  | typeof MONITORING_DEFS_ERR_RULE
  | typeof MONITORING_DEFS_ERR_PLACEHOLDER
  | typeof MONITORING_DEFS_ERR_REFERENCE
  | typeof MONITORING_DEFS_ERR_EVENT
  | typeof MONITORING_DEFS_ERR_CONTEXT;

export const MONITORING_DEFINITION_ERRORS: readonly ErrorSpec[] = [
  {
    code: MONITORING_DEFS_ERR_INVALID,
    statusCode: 400,
    surface: 'load',
    meaning:
      'The monitoring definitions (`alerts/definitions/monitoring/`) have problems, or do not resolve for an environment; the message lists every problem with its own code below. `npm run deploy:validate` exits 1.',
  },
  {
    code: MONITORING_DEFS_ERR_UNREADABLE,
    statusCode: 400,
    surface: 'load',
    meaning:
      'A definition file cannot be read, is not valid YAML, holds more than one document or not a mapping, is not `<kebab-case id>.yaml`, or lies outside the folders `channels/`, `log-metrics/`, `sinks/`, `policies/`.',
  },
  {
    code: MONITORING_DEFS_ERR_FIELD,
    statusCode: 400,
    surface: 'load',
    meaning:
      'A field breaks its proto (AlertPolicy, NotificationChannel from @google-cloud/monitoring; LogMetric, LogSink from @google-cloud/logging-api): an unknown field, a bad enum name, a wrong scalar type, a malformed Duration or Timestamp, two members of one oneof, a list or map of the wrong shape, null, a required field missing, or a field the server sets; the message names the file, field, value and expectation.',
  },
  {
    code: MONITORING_DEFS_ERR_RULE,
    statusCode: 400,
    surface: 'load',
    meaning:
      "A definition breaks a rule the proto cannot express (gcp-formats §4: one log-match condition alone, `notificationRateLimit` required for log-match and refused otherwise, durations in whole minutes, forecast horizons of 1 to 60 h, ...) or a runwatch rule (a policy's display name is its alertname, it has a severity and a runbook link, a channel publishes to Pub/Sub); the message names the file, field, value and expectation.",
  },
  {
    code: MONITORING_DEFS_ERR_PLACEHOLDER,
    statusCode: 400,
    surface: 'load',
    meaning:
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the placeholder syntax, as written
      'A `${…}` placeholder is not one of the documented names (`${project}`, `${region}`, `${environment}`, `${serviceName}`, `${maxInstances}`), or a `${name * factor}` form is not a whole value or names a text placeholder.',
  },
  {
    code: MONITORING_DEFS_ERR_REFERENCE,
    statusCode: 400,
    surface: 'load',
    meaning:
      "A definition refers to what does not exist (a policy's notification channel that is no channel definition, a `logging.googleapis.com/user/<name>` metric that is no log-metric definition) or repeats another's name or display name.",
  },
  {
    code: MONITORING_DEFS_ERR_EVENT,
    statusCode: 400,
    surface: 'load',
    meaning:
      'A log filter (a log metric, a sink, a log-match condition) names no `jsonPayload.event`, names one that no code logs (the catalogue is `lib/log-events.ts`), or compares it other than `jsonPayload.event="name"` or `jsonPayload.event=("a" OR "b")`.',
  },
  {
    code: MONITORING_DEFS_ERR_CONTEXT,
    statusCode: 400,
    surface: 'load',
    meaning:
      'An environment the definitions are resolved for is invalid: a project id, region, environment, service name, MAX_INSTANCES or runbook base URL that the Cloud APIs or runwatch would refuse.',
  },
];
