/**
 * API key sets from the environment: a comma-separated variable, a file (a Secret Manager volume
 * mount, one key per line or comma-separated) or a deprecated single-key alias. Exactly one
 * source may be set: which one would win is a guess. Keys come back as `SecretKeys`, which never
 * print a key.
 */
import { readFileSync } from 'node:fs';
import { type ConfigReport, REDACTED } from '../../lib/config/problems.js';
import { SecretKeys } from '../../lib/secrets.js';

const MIN_API_KEY_LENGTH = 16;

export interface KeySource {
  readonly variable: string;
  /** The variable's value; null when unset. */
  readonly value: string | null;
  /** The value is a path to read the keys from. */
  readonly isFile?: boolean;
}

/** The keys of the one source of `sources` that is set; problems when not exactly one works. */
export function readKeys(sources: readonly KeySource[], report: ConfigReport): SecretKeys {
  const [source, ...others] = sources.filter((s) => s.value !== null);
  if (source?.value == null) return new SecretKeys([], null);
  if (others.length > 0) {
    for (const other of others) {
      report.refuse(
        other.variable,
        shown(other),
        `unset when ${source.variable} is set (use one source)`,
      );
    }
    return new SecretKeys([], null);
  }
  let keyText = source.value;
  if (source.isFile) {
    try {
      keyText = readFileSync(source.value, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'error';
      report.refuse(source.variable, source.value, `a readable file (${code})`);
      return new SecretKeys([], null);
    }
  }
  const keys = keyText
    .split(/[,\n]/)
    .map((k) => k.trim())
    .filter((k) => k !== '');
  if (keys.length === 0) report.refuse(source.variable, shown(source), 'at least one key');
  const short = keys.filter((k) => k.length < MIN_API_KEY_LENGTH).length;
  if (short > 0) {
    report.refuse(
      source.variable,
      shown(source),
      `keys of at least ${MIN_API_KEY_LENGTH} characters (${short} shorter)`,
    );
  }
  return new SecretKeys(
    keys,
    source.isFile
      ? { variable: source.variable, path: source.value }
      : { variable: source.variable },
  );
}

/** A file's path may be shown; keys never are. */
function shown(s: KeySource): string | undefined {
  return s.isFile ? (s.value ?? undefined) : REDACTED;
}
