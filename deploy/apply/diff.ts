/**
 * What differs between two normalised resources (normalise.ts): each leaf that differs as one
 * line `path: was → now` for people, and the top-level fields they fall under, which are what an
 * update mask names. Lists compare element by element when their lengths agree (order
 * matters, as it does to the APIs), as a whole otherwise; maps and messages key by key.
 */
import { snakeCase } from './proto-json.js';

type Json = Record<string, unknown>;

export interface ResourceDiff {
  /** The top-level fields that differ (camelCase), in the order of the first change under each. */
  readonly fields: readonly string[];
  /** One `path: was → now` per differing leaf; `unset` for an absent side. */
  readonly changes: readonly string[];
}

const isObject = (v: unknown): v is Json =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

const MAX_SHOWN = 160;

/** A value in a change line: JSON, shortened; `unset` when absent. */
export function showValue(v: unknown): string {
  if (v === undefined) return 'unset';
  const text = JSON.stringify(v);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text;
}

function leafChanges(was: unknown, now: unknown, path: string, out: string[]): void {
  if (deepEqual(was, now)) return;
  if (isObject(was) && isObject(now)) {
    const keys = [...new Set([...Object.keys(now), ...Object.keys(was)])];
    for (const k of keys) leafChanges(was[k], now[k], `${path}.${k}`, out);
    return;
  }
  if (Array.isArray(was) && Array.isArray(now) && was.length === now.length) {
    was.forEach((x, i) => {
      leafChanges(x, now[i], `${path}[${i}]`, out);
    });
    return;
  }
  out.push(`${path}: ${showValue(was)} → ${showValue(now)}`);
}

/** How `actual` (what the API holds) must change to become `desired`. */
export function diffResources(desired: Readonly<Json>, actual: Readonly<Json>): ResourceDiff {
  const fields: string[] = [];
  const changes: string[] = [];
  const keys = [...new Set([...Object.keys(desired), ...Object.keys(actual)])];
  for (const key of keys) {
    const before = changes.length;
    leafChanges(actual[key], desired[key], key, changes);
    if (changes.length > before) fields.push(key);
  }
  return { fields, changes };
}

/** An update mask's paths for these top-level fields (snake_case, as the APIs want). */
export const maskPaths = (fields: readonly string[]): string[] => fields.map(snakeCase);
