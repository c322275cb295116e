/**
 * The value a JSON Pointer (RFC 6901, as ajv's `instancePath` gives it) names in `root`, or
 * undefined when the path leaves the document: for error messages that quote the bad value.
 */
export function valueAt(root: unknown, pointer: string): unknown {
  let v = root;
  for (const part of pointer.split('/').slice(1)) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part.replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  return v;
}
