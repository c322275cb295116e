/**
 * What `npm run deploy:plan` refuses, each with a stable code; docs/errors.md lists them
 * (generated from `PLAN_ERRORS`). A usage error exits 2, anything else 1. A spec the service
 * refuses is the spec's own error (deploy/spec/errors.ts).
 */
import { type ErrorSpec, RunwatchError } from '../../lib/errors.js';

export const PLAN_ERRORS_BY_CODE = {
  PLAN_ERR_USAGE:
    '`npm run deploy:plan`: an unknown option, a missing or malformed value (project id, project number, region, member, section); the message says which and what it takes.',
  PLAN_ERR_FUNCTION_CONFIG:
    "A function refuses the settings its deploy step would give it (functions/shared/config.ts, resolved as on Cloud Run); each problem as the function's start would log it.",
} as const;

export type PlanErrorCode = keyof typeof PLAN_ERRORS_BY_CODE;

export const PLAN_EXIT_FAILED = 1;
export const PLAN_EXIT_USAGE = 2;

export const PLAN_ERRORS: readonly ErrorSpec[] = Object.entries(PLAN_ERRORS_BY_CODE).map(
  ([code, meaning]) => ({
    code,
    statusCode: code === 'PLAN_ERR_USAGE' ? 400 : 500,
    meaning,
    surface: `exit ${code === 'PLAN_ERR_USAGE' ? PLAN_EXIT_USAGE : PLAN_EXIT_FAILED}`,
  }),
);

export class PlanError extends RunwatchError {
  declare readonly code: PlanErrorCode;

  constructor(code: PlanErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, code === 'PLAN_ERR_USAGE' ? 400 : 500, message, options);
  }
}
