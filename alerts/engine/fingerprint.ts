/**
 * An alert's identity: Prometheus' `model.LabelSet.Fingerprint()` as Alertmanager uses it. FNV-1a
 * 64 over the UTF-8 bytes of, for each label name in byte order, the name, 0xff, the value,
 * 0xff; written as 16 lowercase hex digits. Annotations are never part of it. The 64-bit
 * arithmetic runs on four 16-bit limbs (exact in doubles, no BigInt per byte).
 */

const SEPARATOR = 0xff;
const encoder = new TextEncoder();

/** Compares UTF-8 byte strings, as Go's sort.Strings orders label names. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function fingerprint(labels: Readonly<Record<string, string>>): string {
  // The offset basis 0xcbf29ce484222325, least significant limb first.
  let h0 = 0x2325;
  let h1 = 0x8422;
  let h2 = 0x9ce4;
  let h3 = 0xcbf2;
  // h = (h ^ byte) * 0x100000001b3 mod 2^64: the prime is 2^40 + 0x1b3.
  const add = (byte: number): void => {
    h0 ^= byte;
    const t0 = h0 * 0x1b3;
    const t1 = h1 * 0x1b3 + (t0 >>> 16);
    const t2 = h2 * 0x1b3 + h0 * 0x100 + (t1 >>> 16);
    const t3 = h3 * 0x1b3 + h1 * 0x100 + (t2 >>> 16);
    h0 = t0 & 0xffff;
    h1 = t1 & 0xffff;
    h2 = t2 & 0xffff;
    h3 = t3 & 0xffff;
  };
  const entries = Object.keys(labels)
    .map((name) => [encoder.encode(name), encoder.encode(labels[name] ?? '')] as const)
    .sort((a, b) => compareBytes(a[0], b[0]));
  for (const [name, value] of entries) {
    for (const byte of name) add(byte);
    add(SEPARATOR);
    for (const byte of value) add(byte);
    add(SEPARATOR);
  }
  return [h3, h2, h1, h0].map((limb) => limb.toString(16).padStart(4, '0')).join('');
}
