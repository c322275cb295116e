/**
 * A parser for the Prometheus text exposition format (0.0.4), for the sweep's scrape of a
 * target's `/metrics`.
 *
 * Written here because the npm parsers tried on our own `/metrics` lose data:
 * `parse-prometheus-text-format` 1.1.1 drops the labels, sum and count of labelled histograms,
 * and `exposition` 1.2.0 folds the labels into the bucket keys. Counter deltas per `instance`
 * and per route need every sample with every label, so this returns the flat sample list (what
 * the format is) plus the `# TYPE` / `# HELP` of each family, and leaves aggregation to callers.
 *
 * Grammar, per line: blank; `# HELP <name> <text>` (escapes `\\` and `\n`); `# TYPE <name>
 * <counter|gauge|histogram|summary|untyped>`; any other `#` comment; or a sample
 * `<name>[{<label>="<value>",...}] <value> [<timestamp ms>]` with label values escaping `\\`,
 * `\"` and `\n`, and values that may be `+Inf`, `-Inf` or `NaN`.
 *
 * Built for hostile input (issue 16): it is fed the body chunk by chunk as it arrives
 * (`createPrometheusParser`), so a bound trips before the rest is read; it is linear in the text
 * (label values and names are slices of it, every pattern is free of nested backtracking); and
 * `maxSamples` bounds samples and families. It agrees with the simple line-split parser it
 * replaced, error messages included (a property test holds it to that).
 */
import {
  SCRAPE_ERR_INVALID,
  SCRAPE_ERR_TOO_MANY_SAMPLES,
  SCRAPE_ERRORS,
  ScrapeError,
} from './scrape-errors.js';

// The catalogue's home was this file; tools/errors-doc.ts and the tests still read it here.
export { SCRAPE_ERR_INVALID, SCRAPE_ERRORS, ScrapeError };

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly timestampMs?: number;
}

export interface PromFamily {
  readonly type: MetricType;
  readonly help?: string;
}

export interface Exposition {
  readonly samples: readonly PromSample[];
  readonly families: ReadonlyMap<string, PromFamily>;
}

export interface ParseLimits {
  /**
   * The most samples, and the most families (`# TYPE` / `# HELP` names), one exposition may
   * hold; one more is `SCRAPE_ERR_TOO_MANY_SAMPLES`, thrown at once. Default: no bound.
   */
  readonly maxSamples?: number;
  /** Called with each sample as soon as it is parsed; what it throws ends the parse. */
  readonly onSample?: (sample: PromSample, lineNo: number) => void;
}

/** A parse fed in pieces: `push` each chunk of text as it arrives, `end` for the exposition. */
export interface PrometheusParser {
  /** Parses every line the chunk completes; throws `ScrapeError` (or `onSample`'s error). */
  push(chunk: string): void;
  /** Parses the last line and returns everything; call once, after the last push. */
  end(): Exposition;
}

// Sticky patterns: each matches at `lastIndex` only, over the line itself (no slice per token).
const NAME = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const LABEL_NAME = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const SPACES = /\s*/y;
const NON_SPACES = /\S+/y;
const VALUE_TEXT = /[^"\\]*/y;
const BLANK = /^\s*$/;
// What `.` does not match: a HELP or TYPE line holding one is an ordinary comment.
const LINE_TERMINATOR = /[\r\u2028\u2029]/;
const TYPES = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function fail(lineNo: number, line: string, expected: string): ScrapeError {
  const shown = line.length > 80 ? `${line.slice(0, 77)}...` : line;
  return new ScrapeError(
    SCRAPE_ERR_INVALID,
    `line ${lineNo} is ${JSON.stringify(shown)}; expected ${expected}`,
    { field: `line ${lineNo}` },
  );
}

/** The end of the match of a sticky `pattern` at `from`, or -1 when it does not match there. */
function matchEnd(pattern: RegExp, line: string, from: number): number {
  pattern.lastIndex = from;
  return pattern.test(line) ? pattern.lastIndex : -1;
}

/**
 * Case-insensitive special values, as Prometheus itself reads them (Go's ParseFloat): prom-client
 * writes NaN as `Nan` (e.g. `nodejs_eventloop_lag_mean_seconds` before its first sample).
 */
function parseValue(text: string): number | undefined {
  const lower = text.length <= 4 ? text.toLowerCase() : '';
  if (lower === '+inf' || lower === 'inf') return Number.POSITIVE_INFINITY;
  if (lower === '-inf') return Number.NEGATIVE_INFINITY;
  if (lower === 'nan') return Number.NaN;
  // `\d+(\.\d*)?`, not `\d+\.?\d*`: the latter backtracks quadratically on a long digit run.
  if (!/^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}

function unescapeHelp(text: string): string {
  return text.replace(/\\(\\|n)/g, (_m, c: string) => (c === 'n' ? '\n' : '\\'));
}

/**
 * A `# HELP` or `# TYPE` line as `[keyword, name, rest]`, or null for an ordinary comment: the
 * language of `^#\s+(HELP|TYPE)\s+(<name>)(?:\s+(.*))?$`, matched without its backtracking.
 */
function directive(line: string): [string, string, string] | null {
  let i = matchEnd(SPACES, line, 1);
  if (i === 1) return null;
  const keyword = line.slice(i, i + 4);
  if (keyword !== 'HELP' && keyword !== 'TYPE') return null;
  const afterKeyword = i + 4;
  i = matchEnd(SPACES, line, afterKeyword);
  if (i === afterKeyword) return null;
  const nameEnd = matchEnd(NAME, line, i);
  if (nameEnd < 0) return null;
  const name = line.slice(i, nameEnd);
  if (nameEnd === line.length) return [keyword, name, ''];
  const restStart = matchEnd(SPACES, line, nameEnd);
  if (restStart === nameEnd) return null;
  const rest = line.slice(restStart);
  return LINE_TERMINATOR.test(rest) ? null : [keyword, name, rest];
}

/** Parses `{a="x",b="y"}` starting at `line[start]` (the `{`); returns labels and the next index. */
function parseLabels(
  line: string,
  start: number,
  lineNo: number,
): { labels: Record<string, string>; next: number } {
  const labels: Record<string, string> = {};
  let i = start + 1;
  const skipSpaces = () => {
    while (line[i] === ' ' || line[i] === '\t') i++;
  };
  skipSpaces();
  while (line[i] !== '}') {
    const nameEnd = matchEnd(LABEL_NAME, line, i);
    if (nameEnd < 0) throw fail(lineNo, line, `a label name at column ${i + 1}`);
    const name = line.slice(i, nameEnd);
    i = nameEnd;
    skipSpaces();
    if (line[i] !== '=' || line[i + 1] !== '"') {
      throw fail(lineNo, line, `="<value>" after label ${name}`);
    }
    i += 2;
    // Runs without escapes are slices; an escaped value is its runs and unescaped characters.
    let value: string | null = null;
    for (;;) {
      const runEnd = matchEnd(VALUE_TEXT, line, i);
      const run = line.slice(i, runEnd);
      value = value === null ? run : value + run;
      i = runEnd;
      const c = line[i];
      if (c === undefined) throw fail(lineNo, line, `a closing quote for label ${name}`);
      if (c === '"') break;
      const e = line[i + 1];
      if (e === 'n') value += '\n';
      else if (e === '\\' || e === '"') value += e;
      else throw fail(lineNo, line, `an escape \\\\, \\" or \\n in label ${name}`);
      i += 2;
    }
    i++;
    if (Object.hasOwn(labels, name)) throw fail(lineNo, line, `label ${name} only once`);
    labels[name] = value;
    skipSpaces();
    if (line[i] === ',') {
      i++;
      skipSpaces();
    } else if (line[i] !== '}') {
      throw fail(lineNo, line, `"," or "}" after label ${name}`);
    }
  }
  return { labels, next: i + 1 };
}

/** The value and optional timestamp fields after the name and labels, split on white space. */
function valueFields(line: string, from: number): [string, string | undefined] | null {
  const first = matchEnd(SPACES, line, from);
  const firstEnd = matchEnd(NON_SPACES, line, first);
  if (firstEnd < 0) return null;
  const second = matchEnd(SPACES, line, firstEnd);
  if (second === line.length) return [line.slice(first, firstEnd), undefined];
  const secondEnd = matchEnd(NON_SPACES, line, second);
  if (matchEnd(SPACES, line, secondEnd) !== line.length) return null;
  return [line.slice(first, firstEnd), line.slice(second, secondEnd)];
}

export function createPrometheusParser(limits: ParseLimits = {}): PrometheusParser {
  const maxSamples = limits.maxSamples ?? Number.POSITIVE_INFINITY;
  const samples: PromSample[] = [];
  const families = new Map<string, { type: MetricType; help?: string }>();
  let lineNo = 0;
  let carry = '';

  const family = (name: string) => {
    let f = families.get(name);
    if (f === undefined) {
      if (families.size >= maxSamples) {
        throw new ScrapeError(
          SCRAPE_ERR_TOO_MANY_SAMPLES,
          `/metrics has more than ${maxSamples} metric families (line ${lineNo}); the scrape is refused`,
        );
      }
      f = { type: 'untyped' };
      families.set(name, f);
    }
    return f;
  };

  const parseLine = (raw: string) => {
    lineNo++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (BLANK.test(line)) return;
    if (line.startsWith('#')) {
      const d = directive(line);
      if (d === null) return; // an ordinary comment
      const [keyword, name, rest] = d;
      if (keyword === 'HELP') family(name).help = unescapeHelp(rest);
      else {
        const type = rest.trim() as MetricType;
        if (!TYPES.has(type)) {
          throw fail(lineNo, line, 'a type of counter, gauge, histogram, summary or untyped');
        }
        family(name).type = type;
      }
      return;
    }
    const nameEnd = matchEnd(NAME, line, 0);
    if (nameEnd < 0) throw fail(lineNo, line, 'a metric name');
    const name = line.slice(0, nameEnd);
    let i = nameEnd;
    let labels: Record<string, string> = {};
    if (line[i] === '{') ({ labels, next: i } = parseLabels(line, i, lineNo));
    const fields = valueFields(line, i);
    if (fields === null) {
      throw fail(lineNo, line, 'a value and an optional timestamp after the name and labels');
    }
    const value = parseValue(fields[0]);
    if (value === undefined) throw fail(lineNo, line, 'a number, +Inf, -Inf or NaN as the value');
    let timestampMs: number | undefined;
    if (fields[1] !== undefined) {
      if (!/^-?\d+$/.test(fields[1])) throw fail(lineNo, line, 'an integer timestamp in ms');
      timestampMs = Number(fields[1]);
    }
    if (samples.length >= maxSamples) {
      throw new ScrapeError(
        SCRAPE_ERR_TOO_MANY_SAMPLES,
        `/metrics has more than ${maxSamples} samples (line ${lineNo}); the scrape is refused`,
      );
    }
    const sample: PromSample =
      timestampMs === undefined ? { name, labels, value } : { name, labels, value, timestampMs };
    samples.push(sample);
    limits.onSample?.(sample, lineNo);
  };

  return {
    push(chunk) {
      let nl = chunk.indexOf('\n');
      if (nl < 0) {
        carry += chunk;
        return;
      }
      parseLine(carry + chunk.slice(0, nl));
      carry = '';
      let start = nl + 1;
      for (nl = chunk.indexOf('\n', start); nl >= 0; nl = chunk.indexOf('\n', start)) {
        parseLine(chunk.slice(start, nl));
        start = nl + 1;
      }
      carry = chunk.slice(start);
    },
    end() {
      parseLine(carry);
      carry = '';
      return { samples, families };
    },
  };
}

/** The whole of `text` at once. */
export function parsePrometheusText(text: string, limits: ParseLimits = {}): Exposition {
  const parser = createPrometheusParser(limits);
  parser.push(text);
  return parser.end();
}

/** The family a sample belongs to: its own name, or the histogram/summary it is a part of. */
export function familyOf(exposition: Exposition, sampleName: string): string {
  if (exposition.families.has(sampleName)) return sampleName;
  const base = sampleName.replace(/_(bucket|sum|count|created)$/, '');
  const type = exposition.families.get(base)?.type;
  return type === 'histogram' || type === 'summary' ? base : sampleName;
}
