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
 */
import { type ErrorSpec, RunwatchError } from '../../lib/errors.js';

export class ScrapeError extends RunwatchError {}

export const SCRAPE_ERR_INVALID = 'SCRAPE_ERR_INVALID';

export const SCRAPE_ERRORS: readonly ErrorSpec[] = [
  {
    code: SCRAPE_ERR_INVALID,
    statusCode: 502,
    surface: 'sweep',
    meaning:
      "A target's `/metrics` is not Prometheus text format; the message names the line, what it holds and what was expected.",
  },
];

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

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function fail(lineNo: number, line: string, expected: string): ScrapeError {
  const shown = line.length > 80 ? `${line.slice(0, 77)}...` : line;
  return new ScrapeError(
    SCRAPE_ERR_INVALID,
    502,
    `line ${lineNo} is ${JSON.stringify(shown)}; expected ${expected}`,
    { field: `line ${lineNo}` },
  );
}

/**
 * Case-insensitive special values, as Prometheus itself reads them (Go's ParseFloat): prom-client
 * writes NaN as `Nan` (e.g. `nodejs_eventloop_lag_mean_seconds` before its first sample).
 */
function parseValue(text: string): number | undefined {
  const lower = text.toLowerCase();
  if (lower === '+inf' || lower === 'inf') return Number.POSITIVE_INFINITY;
  if (lower === '-inf') return Number.NEGATIVE_INFINITY;
  if (lower === 'nan') return Number.NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}

function unescapeHelp(text: string): string {
  return text.replace(/\\(\\|n)/g, (_m, c: string) => (c === 'n' ? '\n' : '\\'));
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
    const name = LABEL_NAME.exec(line.slice(i))?.[0];
    if (name === undefined) throw fail(lineNo, line, `a label name at column ${i + 1}`);
    i += name.length;
    skipSpaces();
    if (line[i] !== '=' || line[i + 1] !== '"') {
      throw fail(lineNo, line, `="<value>" after label ${name}`);
    }
    i += 2;
    let value = '';
    for (;;) {
      const c = line[i];
      if (c === undefined) throw fail(lineNo, line, `a closing quote for label ${name}`);
      if (c === '"') break;
      if (c === '\\') {
        const e = line[i + 1];
        if (e === 'n') value += '\n';
        else if (e === '\\' || e === '"') value += e;
        else throw fail(lineNo, line, `an escape \\\\, \\" or \\n in label ${name}`);
        i += 2;
        continue;
      }
      value += c;
      i++;
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

export function parsePrometheusText(text: string): Exposition {
  const samples: PromSample[] = [];
  const families = new Map<string, { type: MetricType; help?: string }>();
  const family = (name: string) => {
    let f = families.get(name);
    if (f === undefined) {
      f = { type: 'untyped' };
      families.set(name, f);
    }
    return f;
  };
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const lineNo = index + 1;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\s+(.*))?$/.exec(line);
      if (m === null) continue; // an ordinary comment
      const [, keyword, name = '', rest = ''] = m;
      if (keyword === 'HELP') family(name).help = unescapeHelp(rest);
      else {
        const type = rest.trim() as MetricType;
        if (!TYPES.has(type)) {
          throw fail(lineNo, line, 'a type of counter, gauge, histogram, summary or untyped');
        }
        family(name).type = type;
      }
      continue;
    }
    const name = NAME.exec(line)?.[0];
    if (name === undefined) throw fail(lineNo, line, 'a metric name');
    let i = name.length;
    let labels: Record<string, string> = {};
    if (line[i] === '{') ({ labels, next: i } = parseLabels(line, i, lineNo));
    const fields = line.slice(i).trim().split(/\s+/);
    if (fields.length < 1 || fields.length > 2 || fields[0] === '') {
      throw fail(lineNo, line, 'a value and an optional timestamp after the name and labels');
    }
    const value = parseValue(fields[0] as string);
    if (value === undefined) throw fail(lineNo, line, 'a number, +Inf, -Inf or NaN as the value');
    let timestampMs: number | undefined;
    if (fields[1] !== undefined) {
      if (!/^-?\d+$/.test(fields[1])) throw fail(lineNo, line, 'an integer timestamp in ms');
      timestampMs = Number(fields[1]);
    }
    samples.push(
      timestampMs === undefined ? { name, labels, value } : { name, labels, value, timestampMs },
    );
  }
  return { samples, families };
}

/** The family a sample belongs to: its own name, or the histogram/summary it is a part of. */
export function familyOf(exposition: Exposition, sampleName: string): string {
  if (exposition.families.has(sampleName)) return sampleName;
  const base = sampleName.replace(/_(bucket|sum|count|created)$/, '');
  const type = exposition.families.get(base)?.type;
  return type === 'histogram' || type === 'summary' ? base : sampleName;
}
