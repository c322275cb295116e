import { type ErrorSpec, RunwatchError } from '../../lib/errors.js';

/**
 * Errors of the trend-rule loader. They never reach an HTTP edge; the status code mirrors the
 * nearest HTTP meaning. Messages name the file, the rule (index and alertname), the field as a
 * JSON path, the bad value and what was expected.
 */
export class RuleError extends RunwatchError {}

export const RULE_ERR_INVALID = 'RULE_ERR_INVALID';
export const RULE_ERR_UNREADABLE = 'RULE_ERR_UNREADABLE';

export const RULE_ERRORS: readonly ErrorSpec[] = [
  {
    code: RULE_ERR_INVALID,
    statusCode: 400,
    surface: 'load',
    meaning:
      'A rule in `alerts/definitions/trend-rules/*.yaml` fails its schema or repeats an alertname; the message names the file, rule, field, value and expectation.',
  },
  {
    code: RULE_ERR_UNREADABLE,
    statusCode: 400,
    surface: 'load',
    meaning: 'A rule file cannot be read or is not valid YAML.',
  },
];
