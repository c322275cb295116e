/**
 * The sweep's Prometheus text parser as it was before issue 16 (a line split, label values built
 * a character at a time): the reference that the linear, streaming parser
 * (alerts/sweep/prometheus-text.ts) must agree with, sample for sample and error for error, in
 * the property tests. Correct, but unbounded, and its value pattern backtracks quadratically on a
 * long run of digits; never used outside tests.
 */
import type { Exposition, MetricType, PromSample } from '../../alerts/sweep/prometheus-text.js';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function fail(lineNo: number, line: string, expected: string): Error {
  const shown = line.length > 80 ? `${line.slice(0, 77)}...` : line;
  return new Error(`line ${lineNo} is ${JSON.stringify(shown)}; expected ${expected}`);
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

export function parseReference(text: string): Exposition {
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
