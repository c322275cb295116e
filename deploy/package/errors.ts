/**
 * What `npm run deploy:package` refuses, each with a stable code; docs/errors.md lists them
 * (generated from `PACKAGE_ERRORS`). A usage error exits 2, any other 1; each message names the
 * argument, file, module or package.
 */
import { type ErrorSpec, RunwatchError } from '../../lib/errors.js';

export const PACKAGE_ERRORS_BY_CODE = {
  PACKAGE_ERR_USAGE:
    'The command line names an unknown deployable or option; the message lists the ones there are.',
  PACKAGE_ERR_NOT_BUILT:
    'An entry module or a module it imports is not in build/ (run `npm run build`), or a relative import names a file that does not exist.',
  PACKAGE_ERR_DYNAMIC_IMPORT:
    'A module in the graph imports a computed specifier (`import(x)`), so what it loads cannot be known; import a string literal.',
  PACKAGE_ERR_OMITTED_STATIC:
    'A module the deployable omits (only ever to be loaded with a dynamic `import()`) is imported statically, so the package could not load without it.',
  PACKAGE_ERR_FORBIDDEN:
    'The deployable reaches a package it must not carry (the functions: onnxruntime-node or better-sqlite3; the service: the store drivers and the Functions Framework); the message names the importing module.',
  PACKAGE_ERR_UNDECLARED:
    "A module imports a package that is not in the root package.json's `dependencies` (a devDependency at run time, or not declared at all).",
  PACKAGE_ERR_LOCK:
    'package-lock.json is not lockfileVersion 3, or a package reachable from the dependencies has no entry in it (run `npm install` to bring it in step with package.json).',
  PACKAGE_ERR_DATA_MISSING:
    'A data file or directory the deployable carries (the model, the alert definitions) does not exist.',
} as const;

export type PackageErrorCode = keyof typeof PACKAGE_ERRORS_BY_CODE;

export const PACKAGE_EXIT_FAILED = 1;
export const PACKAGE_EXIT_USAGE = 2;

export const exitCodeOf = (code: PackageErrorCode): number =>
  code === 'PACKAGE_ERR_USAGE' ? PACKAGE_EXIT_USAGE : PACKAGE_EXIT_FAILED;

export const PACKAGE_ERRORS: readonly ErrorSpec[] = Object.entries(PACKAGE_ERRORS_BY_CODE).map(
  ([code, meaning]) => ({
    code,
    statusCode: code === 'PACKAGE_ERR_USAGE' ? 400 : 500,
    meaning,
    surface: `exit ${exitCodeOf(code as PackageErrorCode)}`,
  }),
);

export class PackageError extends RunwatchError {
  declare readonly code: PackageErrorCode;

  constructor(code: PackageErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, exitCodeOf(code) === PACKAGE_EXIT_USAGE ? 400 : 500, message, options);
  }
}
