import { createHash, timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';

/** The first 8 hex digits of a key's sha256: what logs and rate-limit buckets show instead of it. */
export function keyId(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 8);
}

/** Where a set of keys came from, as shown by `npm run config` and in logs. */
export interface SecretReference {
  readonly variable: string | null;
  readonly path?: string;
  readonly ids: readonly string[];
}

/**
 * A set of API keys that cannot leak by accident: JSON, `util.inspect` and string conversion all
 * print the reference (variable, file path, key ids), never a key. Only `matches` sees the keys.
 */
export class SecretKeys {
  readonly #keys: readonly string[];
  readonly reference: SecretReference;

  constructor(keys: readonly string[], source: { variable: string; path?: string } | null) {
    this.#keys = [...keys];
    this.reference = {
      variable: source?.variable ?? null,
      ...(source?.path ? { path: source.path } : {}),
      ids: keys.map(keyId),
    };
  }

  get size(): number {
    return this.#keys.length;
  }

  /** The matching key's id, or null. Compares in constant time per key. */
  matches(candidate: string): string | null {
    const want = createHash('sha256').update(candidate, 'utf8').digest();
    let found: string | null = null;
    for (const key of this.#keys) {
      const have = createHash('sha256').update(key, 'utf8').digest();
      // Both are 32-byte digests, so timingSafeEqual never throws on length.
      if (timingSafeEqual(want, have)) found = keyId(key);
    }
    return found;
  }

  toJSON(): SecretReference {
    return this.reference;
  }

  toString(): string {
    return `[keys ${this.reference.ids.join(',') || 'none'}]`;
  }

  [inspect.custom](): SecretReference {
    return this.reference;
  }
}
