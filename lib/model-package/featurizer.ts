import type { TextEncoder } from 'node:util';
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
  /**
   * One batch. `alloc`, when given, supplies the id buffer (exactly `length` long; the featurizer
   * overwrites all of it), so a caller can reuse one between batches; otherwise a new one is
   * allocated and the caller owns it.
   */
  featurize(texts: readonly string[], alloc?: (length: number) => BigInt64Array): FeaturizedBatch;
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
 * separators), so the UTF-8 bytes are computed from the code points here, exactly as
 * `TextEncoder` would give them for each feature string. Equal, id for id, to
 * `extractFeatures` + `featureId` (a property test holds them together).
 */
export function featureIds(text: string, spec: FeaturizerSpec): number[] {
  const out = new Int32Array(spec.max_features);
  const n = writeFeatureIds(text, spec, out, new Int32Array(64));
  return Array.from(out.subarray(0, n));
}

/**
 * `featureIds` into `out` (at least `max_features` long); returns how many ids it wrote. Allocates
 * nothing but the tokens: `points` is scratch for one padded token's code points (a token that
 * does not fit gets a buffer of its own). The featurizer runs on every request, and per-token
 * byte arrays and id lists would be a large share of the service's allocations under load,
 * which the event loop pays for in scavenges (docs/benchmarks.md).
 */
export function writeFeatureIds(
  text: string,
  spec: FeaturizerSpec,
  out: Int32Array,
  points: Int32Array,
): number {
  const tokens = tokenize(text, spec.lowercase);
  const limit = spec.max_features;
  const modulus = spec.buckets - 1;
  let count = 0;
  let cps = points;
  for (let i = 0; i < tokens.length; i++) {
    for (const n of spec.word_ngrams) {
      if (i + n > tokens.length) continue;
      let h = WORD_PREFIX_STATE;
      for (let k = i; k < i + n; k++) {
        if (k > i) h = Math.imul(h ^ 0x20, FNV_PRIME);
        h = foldString(h, tokens[k] as string);
      }
      out[count++] = 1 + ((h >>> 0) % modulus);
      if (count === limit) return count;
    }
    if (spec.char_ngrams.length === 0) continue;
    // The padded token "<" + token + ">" as code points.
    const token = tokens[i] as string;
    if (cps.length < token.length + 2) cps = new Int32Array(token.length + 2);
    let len = 0;
    cps[len++] = 0x3c;
    for (let at = 0; at < token.length; ) {
      const cp = token.codePointAt(at) as number;
      cps[len++] = cp;
      at += cp > 0xffff ? 2 : 1;
    }
    cps[len++] = 0x3e;
    for (const n of spec.char_ngrams) {
      for (let j = 0; j + n <= len; j++) {
        let h = CHAR_PREFIX_STATE;
        for (let c = j; c < j + n; c++) h = foldCodePoint(h, cps[c] as number);
        out[count++] = 1 + ((h >>> 0) % modulus);
        if (count === limit) return count;
      }
    }
  }
  return count;
}

/** FNV-1a over the UTF-8 bytes of one code point (never a lone surrogate: see the grammar). */
function foldCodePoint(state: number, cp: number): number {
  let h = state;
  if (cp < 0x80) return Math.imul(h ^ cp, FNV_PRIME);
  if (cp < 0x800) {
    h = Math.imul(h ^ (0xc0 | (cp >> 6)), FNV_PRIME);
  } else {
    if (cp < 0x10000) {
      h = Math.imul(h ^ (0xe0 | (cp >> 12)), FNV_PRIME);
    } else {
      h = Math.imul(h ^ (0xf0 | (cp >> 18)), FNV_PRIME);
      h = Math.imul(h ^ (0x80 | ((cp >> 12) & 0x3f)), FNV_PRIME);
    }
    h = Math.imul(h ^ (0x80 | ((cp >> 6) & 0x3f)), FNV_PRIME);
  }
  return Math.imul(h ^ (0x80 | (cp & 0x3f)), FNV_PRIME);
}

function foldString(state: number, token: string): number {
  let h = state;
  for (let at = 0; at < token.length; ) {
    const cp = token.codePointAt(at) as number;
    h = foldCodePoint(h, cp);
    at += cp > 0xffff ? 2 : 1;
  }
  return h;
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

/**
 * Builds the featurizer a model.json describes; `spec` is assumed to have passed `parseModelSpec`.
 * A featurizer keeps scratch buffers between calls, so it is not shared across threads (nor is
 * anything in JS); `featurize` is synchronous and so never re-entered.
 */
export function createFeaturizer(spec: FeaturizerSpec): Featurizer {
  let rowsScratch = new Int32Array(0);
  let counts = new Int32Array(0);
  // One padded token's code points; writeFeatureIds uses a larger one of its own for a longer token.
  const points = new Int32Array(64);
  return {
    featurize(texts, alloc) {
      const rows = texts.length;
      const width = spec.max_features;
      if (rowsScratch.length < rows * width) rowsScratch = new Int32Array(rows * width);
      if (counts.length < rows) counts = new Int32Array(rows);
      let cols = 1;
      for (let r = 0; r < rows; r++) {
        const row = rowsScratch.subarray(r * width, (r + 1) * width);
        const n = writeFeatureIds(texts[r] as string, spec, row, points);
        counts[r] = n;
        if (n > cols) cols = n;
      }
      const ids = alloc?.(rows * cols) ?? new BigInt64Array(rows * cols);
      if (LITTLE_ENDIAN) {
        const halves = new Int32Array(ids.buffer, ids.byteOffset, 2 * rows * cols);
        halves.fill(0);
        for (let r = 0; r < rows; r++) {
          const base = 2 * r * cols;
          const from = r * width;
          const n = counts[r] as number;
          for (let c = 0; c < n; c++) halves[base + 2 * c] = rowsScratch[from + c] as number;
        }
      } else {
        ids.fill(0n);
        for (let r = 0; r < rows; r++) {
          const n = counts[r] as number;
          for (let c = 0; c < n; c++)
            ids[r * cols + c] = BigInt(rowsScratch[r * width + c] as number);
        }
      }
      return { ids, rows, cols };
    },
  };
}
