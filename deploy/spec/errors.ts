/**
 * What the service spec generator (deploy/spec/) refuses, each with a stable code; docs/errors.md
 * lists them (generated from `SPEC_ERRORS`). `npm run deploy:generate` exits 1 on any of them and
 * 2 on a usage error. Each message names the environment, the setting or field, the value and
 * what Cloud Run accepts.
 */
import { type ErrorSpec, RunwatchError } from '../../lib/errors.js';

export const SPEC_ERRORS_BY_CODE = {
  SPEC_ERR_USAGE:
    '`npm run deploy:generate`: an unknown subcommand or option, or a missing value; the message lists what it takes.',
  SPEC_ERR_CONFIG:
    "The environment's service configuration, resolved as on Cloud Run, is refused by the service itself (each problem as `npm run config` prints it): the service would not start with it.",
  SPEC_ERR_LIMIT:
    "A setting of the environment cannot be expressed within Cloud Run's limits (a CPU count Cloud Run does not offer, memory outside what that CPU count allows, a drain longer than the SIGTERM window, a probe outside its bounds); each problem names the setting, the value and the limit.",
  SPEC_ERR_PROFILE:
    "The environment's deploy profile (deploy/spec/profiles.ts) sets a variable Cloud Run reserves (PORT, K_SERVICE, ...), a sensitive setting as a literal instead of a Secret Manager reference, or a variable the service does not read.",
  SPEC_ERR_CURRENT_SERVICE:
    'The file given as `--current-service` (the output of `gcloud run services describe --format=json`) is not JSON of a Cloud Run service, so the serving revisions cannot be kept.',
} as const;

export type SpecErrorCode = keyof typeof SPEC_ERRORS_BY_CODE;

export const SPEC_EXIT_FAILED = 1;
export const SPEC_EXIT_USAGE = 2;

export const SPEC_ERRORS: readonly ErrorSpec[] = Object.entries(SPEC_ERRORS_BY_CODE).map(
  ([code, meaning]) => ({
    code,
    statusCode: code === 'SPEC_ERR_USAGE' ? 400 : 500,
    meaning,
    surface: `exit ${code === 'SPEC_ERR_USAGE' ? SPEC_EXIT_USAGE : SPEC_EXIT_FAILED}`,
  }),
);

export class SpecError extends RunwatchError {
  declare readonly code: SpecErrorCode;
  /** One line per problem, when the error gathers several (SPEC_ERR_CONFIG, SPEC_ERR_LIMIT). */
  readonly problems: readonly string[];

  constructor(
    code: SpecErrorCode,
    message: string,
    options: { problems?: readonly string[]; cause?: unknown } = {},
  ) {
    const problems = options.problems ?? [];
    super(
      code,
      code === 'SPEC_ERR_USAGE' ? 400 : 500,
      problems.length === 0 ? message : `${message}:\n${problems.map((p) => `  ${p}`).join('\n')}`,
      options.cause === undefined ? {} : { cause: options.cause },
    );
    this.problems = problems;
  }
}
