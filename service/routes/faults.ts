/**
 * `POST /admin/faults {model: "fail" | "ok"}` (admin key): switches the injected model fault.
 * Registered only when fault injection is enabled (development with ENABLE_FAULT_INJECTION).
 */
import type { FastifyInstance } from 'fastify';
import type { AdminAccess } from '../auth/admin-access.js';
import { type FaultInjector, MODEL_FAULTS, type ModelFault } from '../faults/fault-injector.js';

export function registerFaultRoutes(
  app: FastifyInstance,
  faults: FaultInjector,
  admin: AdminAccess,
): void {
  app.post<{ Body: { model: ModelFault } }>(
    '/admin/faults',
    {
      // onRequest: the key is checked before the body is parsed or validated, so a caller
      // without it gets 401, not a 400 that names the values the route accepts.
      onRequest: admin.requireKey,
      schema: {
        body: {
          type: 'object',
          required: ['model'],
          additionalProperties: false,
          properties: { model: { type: 'string', enum: [...MODEL_FAULTS] } },
        },
      },
    },
    async (request) => {
      faults.set(request.body.model);
      request.log.warn(
        { event: 'fault.injected', model: request.body.model },
        `model fault set to ${request.body.model}`,
      );
      return { model: faults.fault };
    },
  );
}
