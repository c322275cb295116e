import { type ErrorSpec, RunwatchError } from '../../lib/errors.js';

/**
 * Errors of `npm run deploy:apply` (deploy/apply/, deploy/cli/apply.ts). A resource's error is
 * reported on its row and the other resources still apply; the run then exits
 * DEPLOY_APPLY_EXIT_FAILED. Each message names the resource (its definition file or full name),
 * the call or field, and what was expected. Pub/Sub's own failures keep their PUBSUB_ERR_* codes.
 */
export class DeployApplyError extends RunwatchError {}

export const DEPLOY_APPLY_ERR_USAGE = 'DEPLOY_APPLY_ERR_USAGE';
export const DEPLOY_APPLY_ERR_DEFINITIONS_INVALID = 'DEPLOY_APPLY_ERR_DEFINITIONS_INVALID';
export const DEPLOY_APPLY_ERR_CALL_FAILED = 'DEPLOY_APPLY_ERR_CALL_FAILED';
export const DEPLOY_APPLY_ERR_AMBIGUOUS = 'DEPLOY_APPLY_ERR_AMBIGUOUS';
export const DEPLOY_APPLY_ERR_CHANNEL_UNAVAILABLE = 'DEPLOY_APPLY_ERR_CHANNEL_UNAVAILABLE';
export const DEPLOY_APPLY_ERR_METRIC_NOT_VISIBLE = 'DEPLOY_APPLY_ERR_METRIC_NOT_VISIBLE';

/** `npm run deploy:apply`'s exit codes (78, a configuration problem, is the config kit's). */
export const DEPLOY_APPLY_EXIT_OK = 0;
export const DEPLOY_APPLY_EXIT_FAILED = 1;
export const DEPLOY_APPLY_EXIT_USAGE = 2;

export const DEPLOY_APPLY_ERRORS: readonly ErrorSpec[] = [
  {
    code: DEPLOY_APPLY_ERR_USAGE,
    statusCode: 400,
    surface: `exit ${DEPLOY_APPLY_EXIT_USAGE}`,
    meaning:
      '`npm run deploy:apply`: an unknown option, a missing `--env` or `--project`, or a bad value (an environment that is not production, staging or development, a project id or endpoint of the wrong shape, a `--runbook-base-url` that is not an absolute https URL ending in `/`, or one given with `--definitions`); the message names the option. Nothing was called.',
  },
  {
    code: DEPLOY_APPLY_ERR_DEFINITIONS_INVALID,
    statusCode: 400,
    surface: `exit ${DEPLOY_APPLY_EXIT_FAILED}`,
    meaning:
      'A definition cannot be sent: the `--definitions` file is unreadable or not a resolved set, a resource has a field its proto does not (or a wrong type, enum name or Duration), a definition id is not a label value, or a policy names a channel no definition declares; the message names the file and field. Nothing was called.',
  },
  {
    code: DEPLOY_APPLY_ERR_CALL_FAILED,
    statusCode: 502,
    surface: `exit ${DEPLOY_APPLY_EXIT_FAILED}`,
    meaning:
      'A Logging or Monitoring call failed for one resource (refused, not permitted, unreachable, timed out); its row names the resource, the call, the gRPC status and the API’s message. The other resources were still applied; a rerun continues.',
  },
  {
    code: DEPLOY_APPLY_ERR_AMBIGUOUS,
    statusCode: 409,
    surface: `exit ${DEPLOY_APPLY_EXIT_FAILED}`,
    meaning:
      'More than one notification channel or alert policy carries the definition’s `runwatch-id` label, so apply cannot tell which to keep; the row names them all. Delete all but one and run again; none was touched.',
  },
  {
    code: DEPLOY_APPLY_ERR_CHANNEL_UNAVAILABLE,
    statusCode: 424,
    surface: `exit ${DEPLOY_APPLY_EXIT_FAILED}`,
    meaning:
      'An alert policy routes to a notification channel that was not applied in this run (it failed, or exists without the managed-by label and was not touched), so the policy was not applied either.',
  },
  {
    code: DEPLOY_APPLY_ERR_METRIC_NOT_VISIBLE,
    statusCode: 504,
    surface: `exit ${DEPLOY_APPLY_EXIT_FAILED}`,
    meaning:
      'Cloud Monitoring still refused an alert policy because it cannot find a log-based metric its filter names (NOT_FOUND "Cannot find metric(s)"), after apply waited out its budget (`--metric-wait-ms`, `DEPLOY_APPLY_METRIC_WAIT_MS`, default 10 minutes, shared by the whole run). Monitoring sees a new log metric up to 10 minutes after Logging creates it; the message names the policy and the metric. Check that the metric’s row did not fail, then run apply again.',
  },
];
