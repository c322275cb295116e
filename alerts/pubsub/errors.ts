import type { ErrorObject } from 'ajv';
import { describeValue, type ErrorSpec, RunwatchError } from '../../lib/errors.js';
import { valueAt } from '../../lib/json-pointer.js';

/**
 * Errors of the Pub/Sub topology loader (`alerts/pubsub/topology.ts`). Messages name the file,
 * the field as a JSON path, the bad value and what was expected.
 */
export class TopologyError extends RunwatchError {}

/**
 * Errors of `ensurePubSub` (`alerts/pubsub/ensure.ts`) and its CLI, `npm run pubsub:ensure`,
 * which exits 1 on any of them. Each names the resource and what was asked of it.
 */
export class PubSubEnsureError extends RunwatchError {}

export const TOPOLOGY_ERR_INVALID = 'TOPOLOGY_ERR_INVALID';
export const TOPOLOGY_ERR_UNREADABLE = 'TOPOLOGY_ERR_UNREADABLE';
export const PUBSUB_ERR_ENDPOINT_INVALID = 'PUBSUB_ERR_ENDPOINT_INVALID';
export const PUBSUB_ERR_CONFLICT = 'PUBSUB_ERR_CONFLICT';
export const PUBSUB_ERR_ENSURE_FAILED = 'PUBSUB_ERR_ENSURE_FAILED';

function expectation(e: ErrorObject): string {
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'pattern') return `a string matching ${String(params.pattern)}`;
  if (e.keyword === 'additionalProperties') return 'no such property (see docs/pubsub.md)';
  if (e.keyword === 'type') return `a value of type ${String(params.type)}`;
  if (e.keyword === 'minimum') return `a value >= ${String(params.limit)}`;
  if (e.keyword === 'maximum') return `a value <= ${String(params.limit)}`;
  return (e.message ?? e.keyword).replace(/^must (be )?/, 'a value ');
}

/** The first ajv error of a topology file as a TOPOLOGY_ERR_INVALID naming field and value. */
export function schemaFieldError(file: string, doc: unknown, e: ErrorObject): TopologyError {
  let path = e.instancePath;
  if (e.keyword === 'required') path += `/${String(e.params.missingProperty)}`;
  if (e.keyword === 'additionalProperties') path += `/${String(e.params.additionalProperty)}`;
  const problem =
    e.keyword === 'required'
      ? 'is missing; expected it to be present'
      : `is ${describeValue(valueAt(doc, path))}; expected ${expectation(e)}`;
  return new TopologyError(TOPOLOGY_ERR_INVALID, 400, `${file}: field ${path} ${problem}`, {
    field: path,
  });
}

/** A TOPOLOGY_ERR_INVALID for the field at `path` of `file`, whose value is `value`. */
export function refuseField(
  file: string,
  path: string,
  value: unknown,
  expected: string,
): TopologyError {
  const shown = value === undefined ? 'missing' : `is ${describeValue(value)}`;
  return new TopologyError(
    TOPOLOGY_ERR_INVALID,
    400,
    `${file}: field ${path} ${shown}; expected ${expected}`,
    { field: path },
  );
}

/** `npm run pubsub:ensure`'s exit code for every PUBSUB_ERR_* error. */
export const ENSURE_EXIT_FAILED = 1;

export const TOPOLOGY_ERRORS: readonly ErrorSpec[] = [
  {
    code: TOPOLOGY_ERR_INVALID,
    statusCode: 400,
    surface: 'load',
    meaning:
      '`alerts/definitions/pubsub.yaml` fails its schema, repeats a name, names a topic it does not declare, or gives a push subscription no dead-letter or retry policy; the message names the file, field, value and expectation.',
  },
  {
    code: TOPOLOGY_ERR_UNREADABLE,
    statusCode: 400,
    surface: 'load',
    meaning: 'The topology file cannot be read or is not valid YAML.',
  },
  {
    code: PUBSUB_ERR_ENDPOINT_INVALID,
    statusCode: 400,
    surface: `exit ${ENSURE_EXIT_FAILED}`,
    meaning:
      'A push subscription’s endpoint was not given to ensure, or is not an http(s) URL; nothing was created or changed.',
  },
  {
    code: PUBSUB_ERR_CONFLICT,
    statusCode: 409,
    surface: `exit ${ENSURE_EXIT_FAILED}`,
    meaning:
      'A subscription exists with a field Pub/Sub cannot update (its topic, message ordering) set otherwise than declared; nothing was changed. Delete the subscription to have it recreated.',
  },
  {
    code: PUBSUB_ERR_ENSURE_FAILED,
    statusCode: 502,
    surface: `exit ${ENSURE_EXIT_FAILED}`,
    meaning:
      'A Pub/Sub call failed (unreachable, refused, timed out, or not permitted); the message names the resource, the call and the gRPC status. What was done before it stays done; a rerun continues.',
  },
];
