import { type ErrorSpec, RunwatchError } from '../../lib/errors.js';

/**
 * Errors of listing and replaying dead letters (`alerts/pubsub/replay.ts`,
 * `alerts/pubsub/dead-letter-pull.ts`) and of their CLI, `npm run dlq`. Each names the dead letter,
 * subscription or topic, and the argument when it is about one.
 */
export class DeadLetterError extends RunwatchError {}

export const DLQ_ERR_USAGE = 'DLQ_ERR_USAGE';
export const DLQ_ERR_UNKNOWN_ID = 'DLQ_ERR_UNKNOWN_ID';
export const DLQ_ERR_PULL_FAILED = 'DLQ_ERR_PULL_FAILED';
export const DLQ_ERR_PUBLISH_FAILED = 'DLQ_ERR_PUBLISH_FAILED';
export const DLQ_ERR_ACK_FAILED = 'DLQ_ERR_ACK_FAILED';

/** `npm run dlq`'s exit codes: done; something failed (its code on stderr); a usage error. */
export const DLQ_EXIT_OK = 0;
export const DLQ_EXIT_FAILED = 1;
export const DLQ_EXIT_USAGE = 2;

export const DLQ_ERRORS: readonly ErrorSpec[] = [
  {
    code: DLQ_ERR_USAGE,
    statusCode: 400,
    surface: `exit ${DLQ_EXIT_USAGE}`,
    meaning:
      '`npm run dlq`: an unknown command or option, an option of the other command, a bad value (`--limit` outside 1–1000, a `--topic` that is not a dead-letter topic of the topology, a `--since` that is not an ISO time), or options that do not go together (`--id` with `--all`, the store with `alerts-dead-letter`); the message names the argument. Nothing was read or changed.',
  },
  {
    code: DLQ_ERR_UNKNOWN_ID,
    statusCode: 404,
    surface: `exit ${DLQ_EXIT_FAILED}`,
    meaning:
      '`npm run dlq replay --id`: a messageId is not among the dead letters read (at most `--limit`, from `--since` for the store); the message names it. Nothing was replayed, and the dead letters stay where they were.',
  },
  {
    code: DLQ_ERR_PULL_FAILED,
    statusCode: 502,
    surface: `exit ${DLQ_EXIT_FAILED}`,
    meaning:
      'Reading the dead-letter subscription failed (it does not exist, Pub/Sub is unreachable, refused or timed out); the message names the subscription, the call and the gRPC status. What was pulled is released, so it stays on the subscription.',
  },
  {
    code: DLQ_ERR_PUBLISH_FAILED,
    statusCode: 502,
    surface: `exit ${DLQ_EXIT_FAILED}`,
    meaning:
      'A replay was not confirmed by the topic it goes to (unreachable, missing, refused, timed out); the message names the dead letter and the topic. That dead letter stays on its subscription (or in the store) and is not acknowledged; a refusal of that one message (INVALID_ARGUMENT) lets the others go on, any other failure stops the replay and leaves the rest untouched.',
  },
  {
    code: DLQ_ERR_ACK_FAILED,
    statusCode: 502,
    surface: `exit ${DLQ_EXIT_FAILED}`,
    meaning:
      'A dead letter was replayed but its acknowledgement failed, so it stays on the subscription and a later replay sends it again; ingest dedupe makes that second copy a duplicate. The replay stops there.',
  },
];
