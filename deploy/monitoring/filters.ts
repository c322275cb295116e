/**
 * What the definitions' filters name, read out of the filter text: the `jsonPayload.event`s of a
 * Cloud Logging filter (log metrics, sinks, log-match conditions), and the metric and resource
 * types of a Cloud Monitoring time-series filter (threshold and absence conditions). These are
 * plain scans, not parsers of either language: they find the comparisons runwatch writes and
 * report any other form of an event comparison, so that a filter the scan cannot read is refused
 * rather than passed unchecked.
 */

/** The prefix of a log-based metric's type; the rest is the LogMetric's name. */
export const USER_METRIC_PREFIX = 'logging.googleapis.com/user/';

export interface FilterEvents {
  /** The event names compared with `=`, in order. */
  readonly events: readonly string[];
  /** Each `jsonPayload.event` comparison of another form, as written (trimmed). */
  readonly unreadable: readonly string[];
}

const EVENT_FIELD = /jsonPayload\.event\b/g;
const QUOTED = /"([^"\\]*)"/g;
// `="name"` or `=("a" OR "b" ...)`, right after the field.
const EQUALS = /^\s*=(?!~)\s*(?:"([^"\\]*)"|\(\s*("[^"\\]*"(?:\s+OR\s+"[^"\\]*")*)\s*\))/;

/** Spans of the double-quoted strings of a filter: what they hold is a value, not a field. */
function quotedSpans(filter: string): [number, number][] {
  return [...filter.matchAll(QUOTED)].map((m) => [m.index, m.index + m[0].length]);
}

/** The events a Cloud Logging filter compares `jsonPayload.event` with. */
export function filterEvents(filter: string): FilterEvents {
  const events: string[] = [];
  const unreadable: string[] = [];
  const spans = quotedSpans(filter);
  for (const m of filter.matchAll(EVENT_FIELD)) {
    if (spans.some(([a, b]) => m.index > a && m.index < b)) continue;
    const rest = filter.slice(m.index + m[0].length);
    const eq = EQUALS.exec(rest);
    if (eq === null) {
      unreadable.push(`${m[0]}${rest.slice(0, 24).trimEnd()}`);
      continue;
    }
    if (eq[1] !== undefined) events.push(eq[1]);
    else for (const q of (eq[2] ?? '').matchAll(QUOTED)) events.push(q[1] ?? '');
  }
  return { events, unreadable };
}

/** The `metric.type` values a Monitoring filter names. */
export function filterMetricTypes(filter: string): string[] {
  return [...filter.matchAll(/\bmetric\.type\s*=\s*"([^"]+)"/g)].map((m) => m[1] ?? '');
}

/** Whether a Monitoring filter restricts `resource.type`. */
export function filterNamesResourceType(filter: string): boolean {
  return /\bresource\.type\s*=\s*"[^"]+"/.test(filter);
}

/** The `one_of("a", "b")` values a Monitoring filter compares `field` with, or its `="x"`. */
export function filterValues(filter: string, field: string): string[] {
  const name = field.replace(/\./g, '\\.');
  const one = new RegExp(`\\b${name}\\s*=\\s*one_of\\(([^)]*)\\)`).exec(filter);
  if (one !== null) return [...(one[1] ?? '').matchAll(QUOTED)].map((q) => q[1] ?? '');
  const eq = new RegExp(`\\b${name}\\s*=\\s*"([^"]*)"`).exec(filter);
  return eq === null ? [] : [eq[1] ?? ''];
}
