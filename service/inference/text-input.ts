/** Checks on one input text and its log summary, shared by every inference API. */
import { hash } from 'node:crypto';
import { describeValue } from '../../lib/errors.js';
import { codePointLength } from '../../lib/text.js';
import { ServiceError } from '../errors.js';

/** Validates one text; the message names the field and never echoes the text (privacy). */
export function checkText(value: unknown, field: string, maxLength: number): ServiceError | null {
  if (typeof value !== 'string') {
    return new ServiceError(
      'SVC_ERR_INPUT_INVALID',
      `field "${field}" is ${value === null ? 'null' : typeof value === 'object' ? describeValue(value) : `a ${typeof value}`}; expected a string`,
      { field },
    );
  }
  if (value.length === 0) {
    return new ServiceError(
      'SVC_ERR_INPUT_INVALID',
      `field "${field}" is empty; expected non-empty text`,
      { field },
    );
  }
  if (value.trim() === '') {
    return new ServiceError(
      'SVC_ERR_INPUT_INVALID',
      `field "${field}" is whitespace only; expected text with at least one non-space character`,
      { field },
    );
  }
  const codePoints = codePointLength(value);
  if (codePoints > maxLength) {
    return new ServiceError(
      'SVC_ERR_INPUT_INVALID',
      `field "${field}" has ${codePoints} code points; expected at most ${maxLength} (text is never truncated)`,
      { field },
    );
  }
  return null;
}

/** Length and short hash of each text, for the request log: never the text itself. */
export function summarizeInputs(texts: readonly unknown[]): { length: number; sha256: string }[] {
  return texts.map((t) =>
    typeof t === 'string'
      ? { length: t.length, sha256: hash('sha256', t, 'hex').slice(0, 16) }
      : { length: -1, sha256: '' },
  );
}
