import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../deps.js';
import { ServiceError } from '../errors.js';

export function registerInfoRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get('/', async () => {
    const model = deps.getServed()?.model;
    return {
      service: 'runwatch',
      version: deps.serviceVersion,
      environment: deps.config.environment,
      status: deps.lifecycle.state,
      model: model ? { name: model.name, version: model.version } : null,
      rate_limit: deps.config.rateLimitPerMinute,
      timestamp: new Date().toISOString(),
    };
  });

  app.get('/emotions', async () => {
    const model = deps.getServed()?.model;
    if (!model) throw new ServiceError('SVC_ERR_MODEL_NOT_READY', 'the model is still loading');
    return { emotions: model.labels, count: model.labels.length };
  });
}
