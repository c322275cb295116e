/**
 * Why `npm run test:container` stopped, each with a stable code (docs/errors.md, generated from
 * `CONTAINER_ERRORS`). Every one exits 1 with the code, the step and what was expected.
 */
import { type ErrorSpec, RunwatchError } from '../../lib/errors.js';

export const CONTAINER_ERRORS_BY_CODE = {
  CONTAINER_ERR_TOOL_MISSING:
    '`npm run test:container`: podman, buildah or mmdebstrap is not installed (Debian packages of those names; .ci/run installs them).',
  CONTAINER_ERR_STEP_FAILED:
    '`npm run test:container`: a step (building the Debian base, the stand-in `node:20-slim`, the image, or starting it) exited non-zero; its command and the end of its output are printed.',
  CONTAINER_ERR_CHECK_FAILED:
    '`npm run test:container`: the image was built and run but a check failed (start-up probe, `/predict`, the process user, the SIGTERM drain, the image size); each check prints what it measured and what it expected.',
} as const;

export type ContainerErrorCode = keyof typeof CONTAINER_ERRORS_BY_CODE;

export const CONTAINER_ERRORS: readonly ErrorSpec[] = Object.entries(CONTAINER_ERRORS_BY_CODE).map(
  ([code, meaning]) => ({ code, statusCode: 500, meaning, surface: 'exit 1' }),
);

export class ContainerTestError extends RunwatchError {
  declare readonly code: ContainerErrorCode;

  constructor(code: ContainerErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, 500, message, options);
  }
}
