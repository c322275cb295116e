/**
 * Alertmanager's label matchers: parsing (the classic `pkg/labels` parser's syntax: `name op
 * value`, the value bare or double-quoted with `\"`, `\n`, `\\` escapes), regex compilation
 * anchored like Alertmanager's (`^(?:re)$`) and matching, where a label the alert lacks has the
 * empty value (so `x!="a"` and `x=~".*"` match an alert without `x`).
 *
 * Regexes are JavaScript's with the `u` flag (code points, as RE2 on UTF-8), restricted to what
 * stays linear-ish and means the same in RE2: no backreferences, no lookaround, no nested
 * repetition such as `(a+)+`, at most `MAX_REGEX_LENGTH` characters. A leading `(?i)` becomes the
 * `i` flag; other inline flags are refused.
 *
 * A matcher built here (`parseMatcher`, `newMatcher`) has its regex compiled once and kept in a
 * WeakMap written only while it is built; `matches` reads it, and compiles afresh (uncached) for
 * a regex matcher made elsewhere.
 */
import { describeValue } from '../../lib/errors.js';
import { ENGINE_ERR_MATCHER_INVALID, EngineDefinitionsError } from './definition-errors.js';
import type { Matcher, MatchOp } from './types.js';

export const MAX_REGEX_LENGTH = 1024;
export const MAX_MATCHER_VALUE_LENGTH = 4096;

/** The classic label-name rule the parser applies (Prometheus' plus `:`, as Alertmanager's). */
export const LABEL_NAME_PATTERN = '^[a-zA-Z_:][a-zA-Z0-9_:]*$';
const LABEL_NAME = new RegExp(LABEL_NAME_PATTERN);

export const MATCH_OPS: readonly MatchOp[] = ['=', '!=', '=~', '!~'];

const compiled = new WeakMap<Matcher, RegExp>();

function matcherError(message: string): EngineDefinitionsError {
  return new EngineDefinitionsError(ENGINE_ERR_MATCHER_INVALID, 400, message);
}

/**
 * Refuses what RE2 would not accept or what could backtrack without bound; returns the source
 * and flags for `new RegExp`.
 */
function checkRegex(re: string): { source: string; flags: string } {
  if (re.length > MAX_REGEX_LENGTH) {
    throw matcherError(
      `regular expression of ${re.length} characters; expected at most ${MAX_REGEX_LENGTH}`,
    );
  }
  let source = re;
  let flags = 'u';
  if (source.startsWith('(?i)')) {
    source = source.slice(4);
    flags = 'iu';
  }
  const refuse = (what: string): never => {
    throw matcherError(
      `regular expression ${describeValue(re)} uses ${what}; expected RE2 syntax without it`,
    );
  };
  // One flag per open group: whether a repeating quantifier occurs inside it. `closedRepeats`:
  // the atom just before is a group with repetition inside.
  const groups: boolean[] = [];
  let closedRepeats = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      if (/[1-9]/.test(next)) refuse('a backreference');
      if (next === 'k') refuse('a named backreference');
      i++;
      closedRepeats = false;
      continue;
    }
    if (c === '[') {
      // Skip the class: `]` right after `[` or `[^` is a literal, `\` escapes.
      let j = i + 1;
      if (source[j] === '^') j++;
      if (source[j] === ']') j++;
      while (j < source.length && source[j] !== ']') j += source[j] === '\\' ? 2 : 1;
      i = j;
      closedRepeats = false;
      continue;
    }
    if (c === '(') {
      if (source[i + 1] === '?') {
        const rest = source.slice(i + 2);
        if (rest.startsWith('=') || rest.startsWith('!')) refuse('a lookahead');
        if (rest.startsWith('<=') || rest.startsWith('<!')) refuse('a lookbehind');
        if (rest.startsWith('P<')) source = `${source.slice(0, i + 2)}${rest.slice(1)}`;
        else if (!rest.startsWith(':') && !rest.startsWith('<'))
          refuse('inline flags other than a leading (?i)');
      }
      groups.push(false);
      closedRepeats = false;
      continue;
    }
    if (c === ')') {
      closedRepeats = groups.pop() ?? false;
      if (closedRepeats && groups.length > 0) groups[groups.length - 1] = true;
      continue;
    }
    let repeating: boolean | undefined;
    if (c === '*' || c === '+') repeating = true;
    else if (c === '?') repeating = false;
    else if (c === '{') {
      const m = /^\{([0-9]+)(,([0-9]*))?\}/.exec(source.slice(i));
      if (m !== null) {
        const max = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3]);
        repeating = max > 1;
        i += m[0].length - 1;
      }
    }
    if (repeating === undefined) {
      closedRepeats = false;
      continue;
    }
    if (repeating) {
      if (closedRepeats) refuse('nested repetition');
      if (groups.length > 0) groups[groups.length - 1] = true;
    }
    if (source[i + 1] === '?') i++;
    closedRepeats = false;
  }
  return { source, flags };
}

/** The anchored RegExp of a `=~`/`!~` value, or an ENGINE_ERR_MATCHER_INVALID. */
export function compileRegex(value: string): RegExp {
  const { source, flags } = checkRegex(value);
  try {
    return new RegExp(`^(?:${source})$`, flags);
  } catch (cause) {
    throw new EngineDefinitionsError(
      ENGINE_ERR_MATCHER_INVALID,
      400,
      `regular expression ${describeValue(value)} is invalid (${(cause as Error).message}); expected a valid regular expression`,
      { cause },
    );
  }
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
  if (op === '=~' || op === '!~') compiled.set(matcher, compileRegex(value));
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

function regexOf(matcher: Matcher): RegExp {
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
      return regexOf(matcher).test(value);
    case '!~':
      return !regexOf(matcher).test(value);
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
