import { TextEncoder } from 'node:util';
import type { FeaturizerSpec } from './package.js';

/**
 * Hashed n-gram featurizer, `{"type": "hashed-ngrams", "version": 1}`.
 *
 * The trainer imports this module, so training ids and serving ids come from the same code. The
 * scheme below is nonetheless a frozen format: any change to it, however small, is a new
 * featurizer `version`, because an old model.onnx was trained on the old ids.
 *
 * For each text:
 *
 * 1. Normalize: `text.normalize('NFC')`; then replace U+2019 (’) and U+02BC (ʼ) with U+0027 (');
 *    then, if `lowercase`, `toLowerCase()` (locale-independent).
 * 2. Tokenize, scanning left to right with `TOKEN_PATTERN` (flags `gu`); a token is either
 *    - a word: one or more letters/digits (`\p{L}`, `\p{N}`), each optionally followed by
 *      combining marks (`\p{M}`), with single apostrophes allowed between two such characters
 *      (`i'm` and `rock'n'roll` stay whole; leading, trailing and doubled apostrophes split or are
 *      dropped), or
 *    - one symbol code point (`\p{S}` or `\p{Extended_Pictographic}`): each emoji, skin-tone
 *      modifier, currency or math sign is its own token.
 *    Everything else (spaces, punctuation, ZWJ, variation selectors after a symbol, lone
 *    surrogates) separates tokens and is dropped.
 * 3. Emit feature strings position by position: for token i, first for each n in `word_ngrams`
 *    (in spec order) with i + n <= tokenCount, `"w:" + tokens[i..i+n).join(" ")`; then for each n
 *    in `char_ngrams` (in spec order), every window of n code points of `"<" + token + ">"`,
 *    left to right, as `"c:" + window` (none when the padded token is shorter than n). The
 *    prefixes keep word and character features apart. Repeats are kept (they are counts).
 *    Stop after `max_features` features, so a long text is featurized by its beginning.
 * 4. Hash each feature string: 32-bit FNV-1a (offset basis 0x811c9dc5, prime 0x01000193) over
 *    its UTF-8 bytes from `TextEncoder` (which would encode a lone surrogate as U+FFFD), read as
 *    an unsigned integer h; id = 1 + (h mod (buckets - 1)). Id 0 is reserved for padding.
 * 5. Batch: one row per text, in order; every row is padded on the right with 0 to the longest
 *    row of the batch, and to at least 1 column, so a text without features is one all-zero row.
 *
 * NFC, `toLowerCase` and the `\p{...}` classes use the Unicode tables of the running engine, so
 * characters assigned in a newer Unicode version may tokenize differently across Node majors:
 * train and serve on the same Node major (20 today).
 */
export interface FeaturizedBatch {
  /** Row-major ids, `rows * cols` long. */
  readonly ids: BigInt64Array;
  readonly rows: number;
  readonly cols: number;
}

export interface Featurizer {
  featurize(texts: readonly string[]): FeaturizedBatch;
}

export const PADDING_ID = 0;

/** Step 2's token grammar (a source string: a shared global RegExp would carry `lastIndex`). */
export const TOKEN_PATTERN = String.raw`(?:[\p{L}\p{N}]\p{M}*)+(?:'(?:[\p{L}\p{N}]\p{M}*)+)*|[\p{S}\p{Extended_Pictographic}]`;

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Steps 1 and 2 of the scheme. */
export function tokenize(text: string, lowercase: boolean): string[] {
  let normalized = text.normalize('NFC').replaceAll('\u2019', "'").replaceAll('\u02BC', "'");
  if (lowercase) normalized = normalized.toLowerCase();
  return Array.from(normalized.matchAll(new RegExp(TOKEN_PATTERN, 'gu')), (m) => m[0]);
}

/** Step 3 of the scheme: the feature strings of one text, at most `max_features` of them. */
export function extractFeatures(text: string, spec: FeaturizerSpec): string[] {
  const tokens = tokenize(text, spec.lowercase);
  const features: string[] = [];
  const limit = spec.max_features;
  for (let i = 0; i < tokens.length && features.length < limit; i++) {
    for (const n of spec.word_ngrams) {
      if (i + n > tokens.length) continue;
      features.push(`w:${tokens.slice(i, i + n).join(' ')}`);
      if (features.length === limit) return features;
    }
    if (spec.char_ngrams.length === 0) continue;
    const padded = ['<', ...(tokens[i] ?? ''), '>'];
    for (const n of spec.char_ngrams) {
      for (let j = 0; j + n <= padded.length; j++) {
        features.push(`c:${padded.slice(j, j + n).join('')}`);
        if (features.length === limit) return features;
      }
    }
  }
  return features;
}

/** 32-bit FNV-1a of `bytes`, as an unsigned integer. */
export function fnv1a32(bytes: Uint8Array): number {
  let hash = FNV_OFFSET_BASIS;
  for (const byte of bytes) {
    hash = Math.imul(hash ^ byte, FNV_PRIME);
  }
  return hash >>> 0;
}

/** Step 4 of the scheme: the id of one feature string, in 1..buckets-1. */
export function featureId(feature: string, buckets: number, encoder: TextEncoder): number {
  return 1 + (fnv1a32(encoder.encode(feature)) % (buckets - 1));
}

/**
 * The ids of one text, computed without building feature strings: FNV-1a is a byte-at-a-time
 * fold, so each feature's hash is the prefix's state ("w:" or "c:") folded over the UTF-8 bytes
 * of its tokens, spaces or code points. Tokens hold only whole code points (lone surrogates are
 * separators), so encoding a token once and slicing its bytes by code point gives exactly the
 * bytes `TextEncoder` would give for each feature string. Equal, id for id, to
 * `extractFeatures` + `featureId` (a property test holds them together); 3–6× faster, and the
 * featurizer runs on every request.
 */
export function featureIds(text: string, spec: FeaturizerSpec, encoder: TextEncoder): number[] {
  const tokens = tokenize(text, spec.lowercase);
  const limit = spec.max_features;
  const modulus = spec.buckets - 1;
  const ids: number[] = [];
  if (tokens.length === 0) return ids;
  const bytes = tokens.map((token) => encoder.encode(token));
  const needsChars = spec.char_ngrams.length > 0;
  for (let i = 0; i < tokens.length; i++) {
    for (const n of spec.word_ngrams) {
      if (i + n > tokens.length) continue;
      let h = WORD_PREFIX_STATE;
      for (let k = i; k < i + n; k++) {
        if (k > i) h = Math.imul(h ^ 0x20, FNV_PRIME);
        for (const byte of bytes[k] as Uint8Array) h = Math.imul(h ^ byte, FNV_PRIME);
      }
      ids.push(1 + ((h >>> 0) % modulus));
      if (ids.length === limit) return ids;
    }
    if (!needsChars) continue;
    const tokenBytes = bytes[i] as Uint8Array;
    // The padded token "<" + token + ">" as byte ranges, one per code point.
    const starts: number[] = [-1];
    for (let b = 0; b < tokenBytes.length; b++) {
      if (((tokenBytes[b] as number) & 0xc0) !== 0x80) starts.push(b);
    }
    const points = starts.length + 1; // "<", the token's code points, ">"
    const byteAt = (cp: number, fold: number): number => {
      if (cp === 0) return Math.imul(fold ^ 0x3c, FNV_PRIME);
      if (cp === points - 1) return Math.imul(fold ^ 0x3e, FNV_PRIME);
      const from = starts[cp] as number;
      const to = cp + 1 < starts.length ? (starts[cp + 1] as number) : tokenBytes.length;
      let h = fold;
      for (let b = from; b < to; b++) h = Math.imul(h ^ (tokenBytes[b] as number), FNV_PRIME);
      return h;
    };
    for (const n of spec.char_ngrams) {
      for (let j = 0; j + n <= points; j++) {
        let h = CHAR_PREFIX_STATE;
        for (let cp = j; cp < j + n; cp++) h = byteAt(cp, h);
        ids.push(1 + ((h >>> 0) % modulus));
        if (ids.length === limit) return ids;
      }
    }
  }
  return ids;
}

/** FNV-1a states after "w:" and "c:", where every feature hash starts. */
const WORD_PREFIX_STATE = fnvFold(FNV_OFFSET_BASIS, [0x77, 0x3a]);
const CHAR_PREFIX_STATE = fnvFold(FNV_OFFSET_BASIS, [0x63, 0x3a]);

function fnvFold(state: number, bytes: readonly number[]): number {
  let h = state;
  for (const byte of bytes) h = Math.imul(h ^ byte, FNV_PRIME);
  return h;
}

/**
 * int64 ids are written as two int32 halves (ids are below 2^31, so the high half is 0): a
 * `BigInt` per id would cost more than the hashing. Little-endian layout is what onnxruntime
 * reads on every platform it ships for; a big-endian host falls back to `BigInt`.
 */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** Builds the featurizer a model.json describes; `spec` is assumed to have passed `parseModelSpec`. */
export function createFeaturizer(spec: FeaturizerSpec): Featurizer {
  const encoder = new TextEncoder();
  return {
    featurize(texts) {
      const rowIds = texts.map((text) => featureIds(text, spec, encoder));
      const rows = texts.length;
      const cols = rowIds.reduce((widest, row) => Math.max(widest, row.length), 1);
      const ids = new BigInt64Array(rows * cols);
      if (LITTLE_ENDIAN) {
        const halves = new Int32Array(ids.buffer);
        for (const [r, row] of rowIds.entries()) {
          const base = 2 * r * cols;
          for (const [c, id] of row.entries()) halves[base + 2 * c] = id;
        }
      } else {
        for (const [r, row] of rowIds.entries()) {
          for (const [c, id] of row.entries()) ids[r * cols + c] = BigInt(id);
        }
      }
      return { ids, rows, cols };
    },
  };
}
