/**
 * convict formats for environment text. A format's `coerce` turns the operator's text into its
 * value only when the whole text has the right shape, and leaves it as text otherwise; its
 * `validate` refuses that text, and any value out of bounds, by throwing `Expected`. So a refusal
 * can quote what the operator wrote (convict's own `int` turns "8s" into 8 and "lots" into NaN).
 *
 * A format's bounds (`min`, `max`, `values`) are fields of the setting's schema item: convict hands
 * the item to the validator. Each format is registered with convict once, when it is defined.
 */
import convict from 'convict';

/** Thrown by a validator; the message is what was expected, e.g. "an integer from 0 to 10". */
export class Expected extends Error {}

/** A format registered with convict, with the bounds of one setting; `T` is the value it yields. */
export interface Format<T> {
  readonly name: string;
  /** Schema-item fields the validator reads. */
  readonly params: object;
  /** Throws `Expected` unless `value` is a value of this format within `params`. */
  readonly validate: (value: unknown) => void;
  /** Never set: carries `T` to the setting's type. */
  readonly valueType?: T;
}

interface FormatSpec<P> {
  /** Unique among formats; convict's registry is global. */
  readonly name: string;
  /** Environment text to value; text of the wrong shape is returned as it is. Default: the text. */
  readonly coerce?: (text: string) => unknown;
  readonly validate: (value: unknown, params: P) => void;
}

const defined = new Set<string>();

/**
 * Registers a format whose validator reads bounds from the schema item; the result gives it the
 * bounds of one setting.
 */
export function defineBoundedFormat<T, P extends object>(
  spec: FormatSpec<P>,
): (params: P) => Format<T> {
  if (defined.has(spec.name)) throw new Error(`config format "${spec.name}" is defined twice`);
  defined.add(spec.name);
  convict.addFormat({
    name: spec.name,
    coerce: spec.coerce ?? ((text: string) => text),
    validate: (value: unknown, item: unknown) => spec.validate(value, item as P),
  });
  return (params) => ({
    name: spec.name,
    params: { ...params },
    validate: (value) => spec.validate(value, params),
  });
}

/** Registers a format without bounds. */
export function defineFormat<T>(spec: FormatSpec<object>): Format<T> {
  return defineBoundedFormat<T, object>(spec)({});
}

const intRange = defineBoundedFormat<number, { min: number; max: number }>({
  name: 'int-range',
  coerce: (text) => (/^[+-]?\d+$/.test(text.trim()) ? Number(text) : text),
  validate: (value, { min, max }) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new Expected(`an integer from ${min} to ${max}`);
    }
  },
});

/** An integer written in digits, from `min` to `max` ("1.5" and "8s" are refused). */
export const integer = (min: number, max: number): Format<number> => intRange({ min, max });

const numberRange = defineBoundedFormat<number, { min: number; max: number }>({
  name: 'number-range',
  coerce: (text) => {
    const n = text.trim() === '' ? Number.NaN : Number(text);
    return Number.isFinite(n) ? n : text;
  },
  validate: (value, { min, max }) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      throw new Expected(`a number from ${min} to ${max}`);
    }
  },
});

/** A number from `min` to `max`. */
export const decimal = (min: number, max: number): Format<number> => numberRange({ min, max });

const oneOfValues = defineBoundedFormat<string, { values: readonly string[] }>({
  name: 'one-of',
  validate: (value, { values }) => {
    if (typeof value !== 'string' || !values.includes(value)) {
      throw new Expected(`one of ${values.join(', ')}`);
    }
  },
});

/** One of `values`, spelt exactly. */
export const oneOf = <T extends string>(values: readonly T[]): Format<T> =>
  // The validator admits nothing but `values`.
  oneOfValues({ values }) as Format<T>;

/** Any text that is not blank. */
export const text: Format<string> = defineFormat<string>({
  name: 'non-blank-text',
  validate: (value) => {
    if (typeof value !== 'string' || value.trim() === '') throw new Expected('a non-empty string');
  },
});

/** Any text at all; what it must say is checked by the rules that use it. */
export const anyText: Format<string> = defineFormat<string>({
  name: 'any-text',
  validate: (value) => {
    if (typeof value !== 'string') throw new Expected('text');
  },
});

const BOOLEAN_TEXT = new Map([
  ['true', true],
  ['1', true],
  ['false', false],
  ['0', false],
]);

/** true / false, or 1 / 0, in any case. */
export const trueOrFalse: Format<boolean> = defineFormat<boolean>({
  name: 'true-or-false',
  coerce: (text) => BOOLEAN_TEXT.get(text.trim().toLowerCase()) ?? text,
  validate: (value) => {
    if (typeof value !== 'boolean') throw new Expected('true or false');
  },
});
