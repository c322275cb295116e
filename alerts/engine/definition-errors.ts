import { type ErrorSpec, RunwatchError } from '../../lib/errors.js';

/**
 * Errors of the alert engine's definitions: the loader of `alerts/definitions/alerting.yaml`
 * (`load-definitions.ts`), the matcher parser (`matchers.ts`) and the silence check
 * (`silences.ts`) the admin API shares. Messages name the field (a JSON path), the value and what
 * was expected; the loader's also name the file.
 */
export class EngineDefinitionsError extends RunwatchError {}

export const ENGINE_DEFS_ERR_INVALID = 'ENGINE_DEFS_ERR_INVALID';
export const ENGINE_DEFS_ERR_UNREADABLE = 'ENGINE_DEFS_ERR_UNREADABLE';
export const ENGINE_ERR_MATCHER_INVALID = 'ENGINE_ERR_MATCHER_INVALID';
export const ENGINE_ERR_SILENCE_INVALID = 'ENGINE_ERR_SILENCE_INVALID';

export const ENGINE_DEFINITION_ERRORS: readonly ErrorSpec[] = [
  {
    code: ENGINE_DEFS_ERR_INVALID,
    statusCode: 400,
    surface: 'load',
    meaning:
      '`alerts/definitions/alerting.yaml` fails its schema, has a bad matcher or duration, names a receiver it does not declare, repeats a receiver name or silence id, gives a webhook URL as a literal, declares an invalid silence or more silences than `MAX_ACTIVE_SILENCES`; the message names the file, field, value and expectation (never a URL).',
  },
  {
    code: ENGINE_DEFS_ERR_UNREADABLE,
    statusCode: 400,
    surface: 'load',
    meaning: 'The alerting definitions file cannot be read or is not valid YAML.',
  },
  {
    code: ENGINE_ERR_MATCHER_INVALID,
    statusCode: 400,
    meaning:
      'A label matcher is not `name op value` with op one of `=`, `!=`, `=~`, `!~`, has a bad label name or quoting, or its regular expression is longer than 1024 characters or not valid RE2 syntax on its own (RE2 has no backreferences or lookaround); the message names the matcher or the regex and what was expected.',
  },
  {
    code: ENGINE_ERR_SILENCE_INVALID,
    statusCode: 400,
    meaning:
      'A silence has no matchers, only matchers that match the empty string, an end not after its start, an empty or too long `createdBy` or `comment`; the message names the field, value and expectation.',
  },
];
