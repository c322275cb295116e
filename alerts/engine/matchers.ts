/**
 * Alertmanager's label matchers: parsing (the classic `pkg/labels` parser's syntax: `name op
 * value`, the value bare or double-quoted with `\"`, `\n`, `\\` escapes), regex compilation and
 * matching, where a label the alert lacks has the empty value (so `x!="a"` and `x=~".*"` match an
 * alert without `x`).
 *
 * Regexes are RE2's (re2js, Go's `regexp` ported): the syntax Alertmanager takes, inline flags
 * such as `(?i)` included, matched in time linear in the input whatever the pattern, so a regex
 * from a definitions file or the admin API cannot stall the engine. A regex must be valid on its
 * own and matches the whole value, as Alertmanager's `^(?:re)$`; at most `MAX_REGEX_LENGTH`
 * characters.
 *
 * A matcher built here (`parseMatcher`, `newMatcher`) has its regex compiled once and kept in a
 * WeakMap written only while it is built. A regex matcher made elsewhere (read back from the
 * store, written by hand) gets its regex from a least-recently-used cache keyed by the source,
 * bounded at `REGEX_CACHE_SIZE` entries so distinct hostile patterns cannot grow memory.
 */
import { RE2JS } from 're2js';
import { describeValue } from '../../lib/errors.js';
import { ENGINE_ERR_MATCHER_INVALID, EngineDefinitionsError } from './definition-errors.js';
import type { Matcher, MatchOp } from './types.js';

export const MAX_REGEX_LENGTH = 1024;
export const MAX_MATCHER_VALUE_LENGTH = 4096;
/** How many compiled regexes of matchers made outside this module are kept. */
export const REGEX_CACHE_SIZE = 1000;

/** The classic label-name rule the parser applies (Prometheus' plus `:`, as Alertmanager's). */
export const LABEL_NAME_PATTERN = '^[a-zA-Z_:][a-zA-Z0-9_:]*$';
const LABEL_NAME = new RegExp(LABEL_NAME_PATTERN);

export const MATCH_OPS: readonly MatchOp[] = ['=', '!=', '=~', '!~'];

/** A compiled `=~`/`!~` value: whether it matches a whole label value. */
export interface CompiledRegex {
  readonly source: string;
  matchesWhole(value: string): boolean;
}

const compiled = new WeakMap<Matcher, CompiledRegex>();
/** Source → compiled; a Map's order is its recency (a hit moves the entry to the end). */
const cache = new Map<string, CompiledRegex>();

function matcherError(message: string): EngineDefinitionsError {
  return new EngineDefinitionsError(ENGINE_ERR_MATCHER_INVALID, 400, message);
}

function compileUncached(value: string): CompiledRegex {
  if (value.length > MAX_REGEX_LENGTH) {
    throw matcherError(
      `regular expression of ${value.length} characters; expected at most ${MAX_REGEX_LENGTH}`,
    );
  }
  let re: RE2JS;
  try {
    // Compiled alone, not inside `^(?:...)$`: a value such as `a)|(b` would step out of the
    // anchors; `testExact` anchors at both ends.
    re = RE2JS.compile(value);
  } catch (cause) {
    const reason = (cause as Error).message.replace(/^error parsing regexp: /, '');
    throw new EngineDefinitionsError(
      ENGINE_ERR_MATCHER_INVALID,
      400,
      `regular expression ${describeValue(value)} is invalid (${reason}); expected RE2 syntax (no backreferences or lookaround)`,
      { cause },
    );
  }
  return Object.freeze({ source: value, matchesWhole: (v: string) => re.testExact(v) });
}

/**
 * The compiled regex of a `=~`/`!~` value, anchored at both ends, from the cache when it is
 * there; an ENGINE_ERR_MATCHER_INVALID when the value is too long or not RE2 syntax.
 */
export function compileRegex(value: string): CompiledRegex {
  const hit = cache.get(value);
  if (hit !== undefined) {
    cache.delete(value);
    cache.set(value, hit);
    return hit;
  }
  const fresh = compileUncached(value);
  cache.set(value, fresh);
  if (cache.size > REGEX_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return fresh;
}

/** A checked matcher: valid label name and op, bounded value, compiled regex. */
export function newMatcher(name: string, op: MatchOp, value: string): Matcher {
  if (typeof name !== 'string' || !LABEL_NAME.test(name)) {
    throw matcherError(
      `label name ${describeValue(name)}; expected a name matching ${LABEL_NAME_PATTERN}`,
    );
  }
  if (!MATCH_OPS.includes(op)) {
    throw matcherError(`operator ${describeValue(op)}; expected one of ${MATCH_OPS.join(', ')}`);
  }
  if (typeof value !== 'string' || value.length > MAX_MATCHER_VALUE_LENGTH) {
    throw matcherError(
      `value ${describeValue(value)}; expected a string of at most ${MAX_MATCHER_VALUE_LENGTH} characters`,
    );
  }
  const matcher: Matcher = Object.freeze({ name, op, value });
  if (op === '=~' || op === '!~') compiled.set(matcher, compileUncached(value));
  return matcher;
}

// Alertmanager's pkg/labels matcher regex: name, operator ('=~' before '='), the rest trimmed.
const MATCHER_SYNTAX = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*([\s\S]*?)\s*$/;

/** One matcher, e.g. `severity="critical"`, `alertname=~Infer.*`, `target != "dev"`. */
export function parseMatcher(text: string): Matcher {
  const m = MATCHER_SYNTAX.exec(text);
  if (m === null) {
    throw matcherError(
      `matcher ${describeValue(text)}; expected name, one of = != =~ !~, and a value (e.g. severity="critical")`,
    );
  }
  const [, name, op, rawAll] = m as unknown as [string, string, MatchOp, string];
  let raw = rawAll;
  let expectQuote = false;
  if (raw.startsWith('"')) {
    raw = raw.slice(1);
    expectQuote = true;
  }
  const unquoted = (): never => {
    throw matcherError(
      `matcher ${describeValue(text)} has an unescaped double quote in its value; expected a value quoted as "..." with \\" inside`,
    );
  };
  let value = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string;
    if (c === '\\' && i < raw.length - 1) {
      const next = raw[++i] as string;
      if (next === 'n') value += '\n';
      else if (next === '"' || next === '\\') value += next;
      else value += `\\${next}`;
      continue;
    }
    if (c === '"') {
      if (!expectQuote || i < raw.length - 1) unquoted();
      expectQuote = false;
      continue;
    }
    value += c;
  }
  if (expectQuote) unquoted();
  return newMatcher(name, op, value);
}

/**
 * Several matchers in one string, as Alertmanager's `ParseMatchers`: optional `{`/`}`, commas
 * outside double quotes separate (`{severity="critical", target!=dev}`).
 */
export function parseMatchers(text: string): Matcher[] {
  let s = text.trim();
  if (s.startsWith('{')) s = s.slice(1);
  if (s.endsWith('}')) s = s.slice(0, -1);
  const tokens: string[] = [];
  let token = '';
  let inQuotes = false;
  let escaped = false;
  for (const c of s) {
    if (c === ',' && !inQuotes) {
      tokens.push(token);
      token = '';
      continue;
    }
    if (c === '"') {
      if (!escaped) inQuotes = !inQuotes;
      else escaped = false;
    } else if (c === '\\') escaped = !escaped;
    else escaped = false;
    token += c;
  }
  if (token.trim() !== '') tokens.push(token.trim());
  return tokens.map(parseMatcher);
}

function regexOf(matcher: Matcher): CompiledRegex {
  return compiled.get(matcher) ?? compileRegex(matcher.value);
}

/** Whether `matcher` accepts `value` (the label's value, `''` when absent). */
export function matchesValue(matcher: Matcher, value: string): boolean {
  switch (matcher.op) {
    case '=':
      return value === matcher.value;
    case '!=':
      return value !== matcher.value;
    case '=~':
      return regexOf(matcher).matchesWhole(value);
    case '!~':
      return !regexOf(matcher).matchesWhole(value);
  }
}

/** Whether `matcher` accepts the label set; a missing label is the empty string. */
export function matches(matcher: Matcher, labels: Readonly<Record<string, string>>): boolean {
  return matchesValue(
    matcher,
    Object.hasOwn(labels, matcher.name) ? (labels[matcher.name] ?? '') : '',
  );
}

/** Every matcher accepts the labels (an empty list accepts everything). */
export function matchesAll(
  matchers: readonly Matcher[],
  labels: Readonly<Record<string, string>>,
): boolean {
  return matchers.every((m) => matches(m, labels));
}

/** Alertmanager's form, `name="value"` with the value escaped (`\\`, `\n`, `\"`). */
export function formatMatcher(matcher: Matcher): string {
  const v = matcher.value.replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replaceAll('"', '\\"');
  return `${matcher.name}${matcher.op}"${v}"`;
}
