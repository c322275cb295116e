/**
 * The command-line conventions `deploy:generate` and `deploy:plan` share: options parsed
 * strictly, positionals allowed, a malformed command line being the CLI's own usage error;
 * `--env` required and one of the environments; what `--out` names written with its folders
 * created; and a refusal printed as `CODE: message` on stderr with the CLI's exit code for it.
 * Each CLI brings its own usage error (its code and usage text) and exit codes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { RunwatchError } from '../../lib/errors.js';
import { ENVIRONMENTS, type Environment } from '../../service/config/index.js';

/** The CLI's usage error for `what` (its message followed by the usage text). */
export type Usage = (what: string) => RunwatchError;

type Options = NonNullable<ParseArgsConfig['options']>;

const isParseArgsError = (e: unknown): e is TypeError =>
  e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS');

/** `argv` parsed against `options`; an unknown option or a missing value is `usage(message)`. */
export function parseCommandLine<const O extends Options>(
  argv: readonly string[],
  options: O,
  usage: Usage,
) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (e) {
    if (isParseArgsError(e)) throw usage(e.message);
    throw e;
  }
}

/** The `--env` value as an environment; missing or not one of them is a usage error. */
export function environmentOf(value: string | undefined, usage: Usage): Environment {
  if (value === undefined) throw usage('--env is required');
  if (!(ENVIRONMENTS as readonly string[]).includes(value)) {
    throw usage(`--env=${JSON.stringify(value)}: expected one of ${ENVIRONMENTS.join(', ')}`);
  }
  return value as Environment;
}

/** Writes `text` to `path`, creating its folders. */
export function writeOutput(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/**
 * Runs the CLI: prints what `main` returns on stdout; a refusal `isRefusal` recognises goes to
 * stderr as `CODE: message` and sets the exit code `exitCodeOf` gives its code. Anything else is
 * a bug and is thrown.
 */
export async function runCommand(
  main: () => string | Promise<string>,
  isRefusal: (e: unknown) => e is RunwatchError,
  exitCodeOf: (code: string) => number,
): Promise<void> {
  try {
    process.stdout.write(await main());
  } catch (e) {
    if (!isRefusal(e)) throw e;
    process.stderr.write(`${e.code}: ${e.message}\n`);
    process.exitCode = exitCodeOf(e.code);
  }
}
