/**
 * JSON paths for messages, written the way a reader finds the spot in a YAML file:
 * `conditions[0].conditionThreshold.thresholdValue`, `labels["logging.googleapis.com/x"]`.
 */

/** The path of `key` under `path`. */
export function childPath(path: string, key: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return path === '' ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

/** The path of item `i` of the list at `path`. */
export function itemPath(path: string, i: number): string {
  return `${path}[${i}]`;
}

/** How a message names the field at `path`. */
export function fieldName(path: string): string {
  return path === '' ? 'the resource' : `field ${path}`;
}

/** A plain object (a YAML mapping), not a list or null. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
