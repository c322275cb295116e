import type { FastifyRequest } from 'fastify';
import type { SecretKeys } from '../../lib/secrets.js';
import { ServiceError } from '../errors.js';

/** The key id of the request's `X-API-Key` if it is one of `keys`, or null; never throws. */
export function keyIdOf(keys: SecretKeys, request: FastifyRequest): string | null {
  const given = request.headers['x-api-key'];
  if (keys.size === 0 || typeof given !== 'string' || given === '') return null;
  return keys.matches(given);
}

/**
 * Checks `X-API-Key` against `keys` (constant time, `SecretKeys.matches`) and returns the key
 * id, or throws 401 `SVC_ERR_UNAUTHENTICATED`: `missing` when there is no header, `unknown` when
 * it matches no key. Messages never echo the key.
 */
export function verifyKey(
  keys: SecretKeys,
  request: FastifyRequest,
  expected: { missing: string; unknown: string },
): string {
  const given = request.headers['x-api-key'];
  const fail = (message: string) =>
    new ServiceError('SVC_ERR_UNAUTHENTICATED', message, { field: 'X-API-Key' });
  if (typeof given !== 'string' || given === '') {
    throw fail(`header "X-API-Key" is missing; expected ${expected.missing}`);
  }
  const id = keys.matches(given);
  if (id === null) throw fail(`header "X-API-Key" is ${expected.unknown}`);
  return id;
}
