/**
 * Silences, the pure part: when one is active, which silence an alert's labels fall under, and
 * the check of a silence's input (definitions file and admin API alike), Alertmanager's rules plus
 * bounds: at least one matcher, and at least one that does not match the empty string (else the
 * silence would mute every alert lacking the label), a window that ends after it starts, and a
 * non-empty author and comment.
 */
import { describeValue } from '../../lib/errors.js';
import { ENGINE_ERR_SILENCE_INVALID, EngineDefinitionsError } from './definition-errors.js';
import { compileRegex, matchesAll, matchesValue, newMatcher } from './matchers.js';
import type { Matcher, SilenceSpec } from './types.js';

/**
 * The most silences that have not ended (active or yet to start) the admin API creates: every
 * alert of a flush is checked against every active silence. A definitions file may declare as
 * many, and its silences are written whatever the API made, so the store holds at most twice
 * this.
 */
export const MAX_ACTIVE_SILENCES = 1000;

export const SILENCE_LIMITS = {
  maxMatchers: 32,
  maxCreatedByLength: 256,
  maxCommentLength: 4096,
} as const;

/** Active from `startsAt` (inclusive) to `endsAt` (exclusive). */
export function isActive(silence: Pick<SilenceSpec, 'startsAt' | 'endsAt'>, now: number): boolean {
  return silence.startsAt <= now && now < silence.endsAt;
}

/** Ids of the silences active at `now` whose matchers all accept `labels`, in the given order. */
export function silencedBy(
  labels: Readonly<Record<string, string>>,
  silences: readonly (SilenceSpec & { readonly id: string })[],
  now: number,
): string[] {
  return silences
    .filter((s) => isActive(s, now) && matchesAll(s.matchers, labels))
    .map((s) => s.id);
}

/**
 * The silences whose regexes RE2 still reads, checked through the shared regex cache (so a flush
 * costs a lookup per regex, not a compile). A stored silence RE2 refuses (one made before RE2
 * syntax) is left out, reported through `onInvalid`, and never throws: a silence that mutes
 * nothing is better than a flush that stops. Names and operators were checked when it was made.
 */
export function usableSilences<S extends SilenceSpec & { readonly id: string }>(
  silences: readonly S[],
  onInvalid: (id: string, message: string) => void,
): S[] {
  return silences.filter((s) => {
    try {
      for (const m of s.matchers) if (m.op === '=~' || m.op === '!~') compileRegex(m.value);
      return true;
    } catch (e) {
      onInvalid(s.id, e instanceof Error ? e.message : String(e));
      return false;
    }
  });
}

function refuse(field: string, value: unknown, expected: string): EngineDefinitionsError {
  return new EngineDefinitionsError(
    ENGINE_ERR_SILENCE_INVALID,
    400,
    `field ${field} is ${describeValue(value)}; expected ${expected}`,
    { field },
  );
}

function checkText(field: string, value: unknown, max: number): void {
  if (typeof value !== 'string' || value.trim() === '' || value.length > max)
    throw refuse(field, value, `a non-empty string of at most ${max} characters`);
}

function checkTime(field: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw refuse(field, value, 'a time in epoch milliseconds');
}

/**
 * Refuses (ENGINE_ERR_SILENCE_INVALID, field `/matchers`) what is not an array of 1 to
 * `maxMatchers` entries; a caller that parses matcher strings checks this first, so a huge list
 * is refused without parsing any of it.
 */
export function checkMatcherCount(matchers: unknown): void {
  if (
    !Array.isArray(matchers) ||
    matchers.length === 0 ||
    matchers.length > SILENCE_LIMITS.maxMatchers
  )
    throw refuse('/matchers', matchers, `from 1 to ${SILENCE_LIMITS.maxMatchers} matchers`);
}

/**
 * Checks a silence's input, matcher by matcher (each rebuilt with `newMatcher`, so a hand-made
 * or JSON matcher gets the parser's checks). Throws ENGINE_ERR_SILENCE_INVALID naming the field
 * (`/matchers/0/value`, `/endsAt`, ...), the value and the expectation; a bad matcher keeps
 * ENGINE_ERR_MATCHER_INVALID's meaning in the message. Returns the spec with checked matchers.
 */
export function checkSilenceSpec(spec: SilenceSpec): SilenceSpec {
  const { matchers } = spec;
  checkMatcherCount(matchers);
  const checked: Matcher[] = matchers.map((m: Matcher, i: number) => {
    try {
      return newMatcher(m?.name, m?.op, m?.value);
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : String(cause);
      throw new EngineDefinitionsError(
        ENGINE_ERR_SILENCE_INVALID,
        400,
        `field /matchers/${i} is not a valid matcher: ${message}`,
        { field: `/matchers/${i}`, cause },
      );
    }
  });
  if (checked.every((m) => matchesValue(m, '')))
    throw refuse(
      '/matchers',
      matchers,
      'at least one matcher that does not match the empty string (else the silence mutes every alert without that label)',
    );
  checkTime('/startsAt', spec.startsAt);
  checkTime('/endsAt', spec.endsAt);
  if (spec.endsAt <= spec.startsAt)
    throw refuse(
      '/endsAt',
      new Date(spec.endsAt).toISOString(),
      `a time after startsAt (${new Date(spec.startsAt).toISOString()})`,
    );
  checkText('/createdBy', spec.createdBy, SILENCE_LIMITS.maxCreatedByLength);
  checkText('/comment', spec.comment, SILENCE_LIMITS.maxCommentLength);
  return { ...spec, matchers: checked };
}
