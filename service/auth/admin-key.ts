import type { FastifyRequest } from 'fastify';
import type { SecretKeys } from '../../lib/secrets.js';
import { ServiceError } from '../errors.js';

/**
 * A `preHandler` for admin routes: the `X-API-Key` header must be one of `keys`, compared in
 * constant time (`SecretKeys.matches`). Missing, repeated, or unknown keys get 401
 * `SVC_ERR_UNAUTHENTICATED`; with no admin keys configured every request does, so an admin route
 * is never open by omission. The message never echoes the key; logs carry only its key id.
 */
/** The key id of the request's valid admin key, or null; never throws. */
export function adminKeyOf(keys: SecretKeys, request: FastifyRequest): string | null {
  const given = request.headers['x-api-key'];
  if (keys.size === 0 || typeof given !== 'string' || given === '') return null;
  return keys.matches(given);
}

export function requireAdminKey(keys: SecretKeys) {
  return async (request: FastifyRequest): Promise<void> => {
    const given = request.headers['x-api-key'];
    if (keys.size === 0) {
      throw new ServiceError(
        'SVC_ERR_UNAUTHENTICATED',
        'admin routes are disabled: no admin keys are configured; expected ADMIN_API_KEYS or ADMIN_API_KEYS_FILE to be set',
        { field: 'X-API-Key' },
      );
    }
    if (typeof given !== 'string' || given === '') {
      throw new ServiceError(
        'SVC_ERR_UNAUTHENTICATED',
        'header "X-API-Key" is missing; expected one admin key',
        { field: 'X-API-Key' },
      );
    }
    const id = keys.matches(given);
    if (id === null) {
      throw new ServiceError(
        'SVC_ERR_UNAUTHENTICATED',
        'header "X-API-Key" is not an admin key; expected one of the keys in ADMIN_API_KEYS',
        { field: 'X-API-Key' },
      );
    }
    request.log = request.log.child({ adminKeyId: id });
  };
}
