/**
 * The SAMO-DL prediction API, fixed: nothing is stripped from the text (the old sanitizer
 * ate apostrophes), over-long text is rejected rather than truncated, one bad batch item no longer
 * fails the whole batch, and the body's request_id is the X-Request-Id header's.
 */

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppDeps, InferenceRouteOptions } from '../deps.js';
import { ServiceError } from '../errors.js';
import { clientClosedSignal } from '../inference/client-signal.js';
import { toPrediction } from '../inference/prediction.js';
import type { ServedModel } from '../inference/served-model.js';
import { checkText, summarizeInputs } from '../inference/text-input.js';
import type { ServiceMetrics } from '../observability/metrics.js';

export function registerPredictRoutes(
  app: FastifyInstance,
  deps: AppDeps,
  metrics: ServiceMetrics,
  inferenceRoute: InferenceRouteOptions,
): void {
  const { maxInputLength, maxBatchSize } = deps.config.input;

  const requireServed = (request: FastifyRequest): ServedModel => {
    const served = deps.getServed();
    if (!served) {
      request.log.debug({ event: 'predict.not_ready' }, 'predict before the model is ready');
      throw new ServiceError(
        'SVC_ERR_MODEL_NOT_READY',
        'the model is still loading; retry shortly',
      );
    }
    return served;
  };

  app.post<{ Body: { text: unknown } }>(
    '/predict',
    {
      ...inferenceRoute,
      schema: {
        body: { type: 'object', required: ['text'], properties: { text: {} } },
      },
    },
    async (request, reply) => {
      const { text } = request.body;
      request.inputSummary = summarizeInputs([text]);
      const invalid = checkText(text, 'text', maxInputLength);
      if (invalid) throw invalid;
      const { model, batcher } = requireServed(request);
      const rows = await batcher.score([text as string], clientClosedSignal(reply));
      metrics.recordPredictions(model.labels, [text as string], rows);
      const [scores] = rows;
      return {
        text,
        ...toPrediction(model, scores ?? []),
        request_id: request.id,
        model_version: model.version,
      };
    },
  );

  app.post<{ Body: { texts: unknown[] } }>(
    '/predict_batch',
    {
      ...inferenceRoute,
      schema: {
        body: {
          type: 'object',
          required: ['texts'],
          properties: { texts: { type: 'array', minItems: 1, maxItems: maxBatchSize } },
        },
      },
    },
    async (request, reply) => {
      const { texts } = request.body;
      request.inputSummary = summarizeInputs(texts);
      const checks = texts.map((t, i) => checkText(t, `texts[${i}]`, maxInputLength));
      const validIdx = checks.flatMap((c, i) => (c === null ? [i] : []));
      if (validIdx.length === 0) {
        const first = checks[0] as ServiceError;
        throw new ServiceError(
          'SVC_ERR_INPUT_INVALID',
          `no valid text in "texts"; first problem: ${first.message}`,
          {
            field: first.field ?? 'texts',
          },
        );
      }
      const { model, batcher } = requireServed(request);
      const validTexts = validIdx.map((i) => texts[i] as string);
      const rows = await batcher.score(validTexts, clientClosedSignal(reply));
      metrics.recordPredictions(model.labels, validTexts, rows);
      const byIndex = new Map(validIdx.map((i, k) => [i, rows[k] ?? []]));
      return {
        results: texts.map((t, index) => {
          const err = checks[index];
          if (err)
            return { index, error: { code: err.code, message: err.message, field: err.field } };
          return { index, text: t, ...toPrediction(model, byIndex.get(index) ?? []) };
        }),
        model_version: model.version,
        request_id: request.id,
      };
    },
  );
}
