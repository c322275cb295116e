/**
 * Errors of the local stack (`npm start`). They never reach an HTTP edge: each ends the
 * supervisor with the exit code in `EXIT` (docs/local-stack.md).
 */
import { type ErrorSpec, RunwatchError } from '../lib/errors.js';

export const STACK_ERR_PORT_IN_USE = 'STACK_ERR_PORT_IN_USE';
export const STACK_ERR_CHILD_EXITED = 'STACK_ERR_CHILD_EXITED';
export const STACK_ERR_NOT_READY = 'STACK_ERR_NOT_READY';
export const STACK_ERR_PUBSUB = 'STACK_ERR_PUBSUB';

/** The supervisor's exit codes. A child that exits on its own passes its own code through. */
export const STACK_EXIT = {
  /** Stopped on a signal; every child exited cleanly within the stop budget. */
  STOPPED: 0,
  /** A child had to be killed, exited non-zero at stop, or died; or a start-up timeout. */
  FAILED: 1,
  /** EX_UNAVAILABLE: PORT, SWEEP_PORT or INGEST_PORT is taken. */
  PORT_IN_USE: 69,
} as const;

export const STACK_ERRORS: readonly ErrorSpec[] = [
  {
    code: STACK_ERR_PORT_IN_USE,
    statusCode: STACK_EXIT.PORT_IN_USE,
    surface: `exit ${STACK_EXIT.PORT_IN_USE}`,
    meaning:
      'PORT, SWEEP_PORT or INGEST_PORT is already taken; nothing was started. The message names the variable and the port.',
  },
  {
    code: STACK_ERR_CHILD_EXITED,
    statusCode: STACK_EXIT.FAILED,
    surface: `exit ${STACK_EXIT.FAILED}`,
    meaning:
      'The service, healthSweep or alertIngest exited on its own; the stack stops the others and exits with that child’s code (1 if it had none).',
  },
  {
    code: STACK_ERR_NOT_READY,
    statusCode: STACK_EXIT.FAILED,
    surface: `exit ${STACK_EXIT.FAILED}`,
    meaning:
      'The service, healthSweep or alertIngest did not become ready within 60 s; the stack stops them all.',
  },
  {
    code: STACK_ERR_PUBSUB,
    statusCode: STACK_EXIT.FAILED,
    surface: `exit ${STACK_EXIT.FAILED}`,
    meaning:
      'A Pub/Sub emulator was found (or named by PUBSUB_EMULATOR_HOST) but did not start, or the topology (alerts/definitions/pubsub.yaml) could not be ensured on it; nothing else was started. Without any emulator the stack runs the alert flow in-process instead.',
  },
];

export class StackError extends RunwatchError {}
