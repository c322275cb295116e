/**
 * Errors of the local Pub/Sub pieces: the emulator launcher (`stack/pubsub-emulator.ts`) and the
 * Eventarc relay (`stack/eventarc-relay.ts`). The launcher's are thrown at start-up; the relay's
 * are its answers to the emulator's pushes (any non-2xx makes the emulator retry) and the `code`
 * of the log line that records them.
 */
import { type ErrorSpec, RunwatchError } from '../lib/errors.js';

export class EmulatorError extends RunwatchError {}
export class RelayError extends RunwatchError {}

export const EMULATOR_ERR_MISSING = 'EMULATOR_ERR_MISSING';
export const EMULATOR_ERR_PORT_IN_USE = 'EMULATOR_ERR_PORT_IN_USE';
export const EMULATOR_ERR_EXITED = 'EMULATOR_ERR_EXITED';
export const EMULATOR_ERR_NOT_READY = 'EMULATOR_ERR_NOT_READY';

export const RELAY_ERR_ROUTE_INVALID = 'RELAY_ERR_ROUTE_INVALID';
export const RELAY_ERR_NO_ROUTE = 'RELAY_ERR_NO_ROUTE';
export const RELAY_ERR_BODY_INVALID = 'RELAY_ERR_BODY_INVALID';
export const RELAY_ERR_BODY_TOO_LARGE = 'RELAY_ERR_BODY_TOO_LARGE';
export const RELAY_ERR_FORWARD_FAILED = 'RELAY_ERR_FORWARD_FAILED';

export const EMULATOR_ERRORS: readonly ErrorSpec[] = [
  {
    code: EMULATOR_ERR_MISSING,
    statusCode: 503,
    surface: 'start',
    meaning:
      'No Pub/Sub emulator (or no Java for it) was found, or the binary cannot be run; the message says where it looked and how to install one.',
  },
  {
    code: EMULATOR_ERR_PORT_IN_USE,
    statusCode: 503,
    surface: 'start',
    meaning:
      'The emulator logged `BindException`: its port is taken. It was stopped (it would not exit by itself); a free port is tried again when none was asked for.',
  },
  {
    code: EMULATOR_ERR_EXITED,
    statusCode: 503,
    surface: 'start',
    meaning:
      'The emulator exited before it was ready; the message has its exit status and the last lines of its log.',
  },
  {
    code: EMULATOR_ERR_NOT_READY,
    statusCode: 503,
    surface: 'start',
    meaning:
      'The emulator did not log `Server started, listening on <port>` within the start deadline (30 s by default); it was stopped.',
  },
];

export const RELAY_ERRORS: readonly ErrorSpec[] = [
  {
    code: RELAY_ERR_ROUTE_INVALID,
    statusCode: 500,
    surface: 'start',
    meaning:
      'A relay route has a path not starting with `/` or used twice, a topic that is not `projects/P/topics/T`, or a target that is not an http(s) URL.',
  },
  {
    code: RELAY_ERR_NO_ROUTE,
    statusCode: 404,
    meaning: 'A push to a path the relay has no route for.',
  },
  {
    code: RELAY_ERR_BODY_INVALID,
    statusCode: 400,
    meaning:
      'The push body is not a Pub/Sub push (JSON `{subscription, message:{messageId, publishTime, …}}`), or not a POST.',
  },
  {
    code: RELAY_ERR_BODY_TOO_LARGE,
    statusCode: 413,
    meaning: 'The push body is over the relay’s bound (16 MiB by default).',
  },
  {
    code: RELAY_ERR_FORWARD_FAILED,
    statusCode: 500,
    meaning:
      'The target answered other than 200, 201, 202 or 204, did not answer within the forward timeout (10 s by default), or could not be reached; the emulator redelivers.',
  },
];
