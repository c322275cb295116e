/**
 * The routing tree at work: which routes an alert goes to (Alertmanager's `Route.Match`), the
 * group it joins on each (its group key and group labels), and what makes a route the same route
 * across definitions changes (its id).
 */
import { createHash } from 'node:crypto';
import { matchesAll } from './matchers.js';
import type { GroupBy, Matcher, Route } from './types.js';

type Labels = Readonly<Record<string, string>>;

/**
 * The routes `labels` go to, depth first: a route takes part when its matchers accept the labels;
 * of its children the first that does is taken, and later siblings are tried only while the
 * taken ones have `continue`; a route none of whose children match is itself the result. Empty
 * when the root's own matchers refuse the labels (the loaded root has none).
 */
export function matchRoutes(root: Route, labels: Labels): Route[] {
  if (!matchesAll(root.matchers, labels)) return [];
  const all: Route[] = [];
  for (const child of root.routes) {
    const found = matchRoutes(child, labels);
    all.push(...found);
    if (found.length > 0 && !child.continue) break;
  }
  return all.length === 0 ? [root] : all;
}

/** The labels of `labels` the route groups by (`all`: every one; absent ones are left out). */
export function groupLabelsOf(route: Route, labels: Labels): Record<string, string> {
  const out: Record<string, string> = {};
  const names = route.groupBy === 'all' ? Object.keys(labels) : route.groupBy;
  for (const name of names) {
    if (Object.hasOwn(labels, name)) out[name] = labels[name] as string;
  }
  return out;
}

const C_ESCAPES: Readonly<Record<string, string>> = {
  '\u0007': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '\\': '\\\\',
  '"': '\\"',
};

/**
 * Go's `%q` for the values of a label set: `\\`, `\"`, the C escapes (`\n`, `\t`, ...) and
 * `\xNN` for other ASCII control characters.
 */
export function quoteLabelValue(value: string): string {
  let out = '"';
  for (const c of value) {
    const code = c.codePointAt(0) as number;
    const esc = C_ESCAPES[c];
    if (esc !== undefined) out += esc;
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += c;
  }
  return `${out}"`;
}

/** `{a="1",b="2"}`: names in code-point order, values quoted like Go's `%q`. */
export function formatLabelSet(labels: Labels): string {
  const names = Object.keys(labels).sort();
  return `{${names.map((n) => `${n}=${quoteLabelValue(labels[n] as string)}`).join(',')}}`;
}

/** `<route id>:{<group labels>}`, e.g. `5f0c2a9e81d3b74c:{alertname="InferDown",target="prod"}`. */
export function groupKeyOf(route: Route, labels: Labels): string {
  return `${route.id}:${formatLabelSet(groupLabelsOf(route, labels))}`;
}

/**
 * A route's id: 16 hex digits of SHA-256 over its matcher path (one matcher set per level from
 * the root's down to its own, each set sorted), its receiver and its group_by (sorted; `all` is
 * Alertmanager's `'...'`). What decides which alerts a route takes, where they go and how they
 * group is in it; its position, timers and `continue` are not, so inserting or reordering routes
 * moves no group (Alertmanager's route key is its matcher path too).
 */
export function routeId(
  path: readonly (readonly Matcher[])[],
  receiver: string,
  groupBy: GroupBy,
): string {
  const levels = path.map((level) =>
    [...new Set(level.map((m) => JSON.stringify([m.name, m.op, m.value])))].sort(),
  );
  const by = groupBy === 'all' ? '...' : [...new Set(groupBy)].sort();
  return createHash('sha256')
    .update(JSON.stringify({ path: levels, receiver, groupBy: by }))
    .digest('hex')
    .slice(0, 16);
}
