/**
 * `POST /admin/faults {model: "fail" | "ok"}` (admin key): switches the injected model fault.
 * Registered only when fault injection is enabled (development with ENABLE_FAULT_INJECTION).
 */
import type { FastifyInstance } from 'fastify';
import { requireAdminKey } from '../auth/admin-key.js';
import type { AppDeps } from '../deps.js';
import { type FaultInjector, MODEL_FAULTS, type ModelFault } from '../faults/fault-injector.js';

export function registerFaultRoutes(
  app: FastifyInstance,
  deps: AppDeps,
  faults: FaultInjector,
): void {
  app.post<{ Body: { model: ModelFault } }>(
    '/admin/faults',
    {
      preHandler: requireAdminKey(deps.config.auth.adminApiKeys),
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
