/**
 * Open Inference Protocol v2 (KServe V2) over REST, mounted at `/v2`, beside the original API.
 *
 * - The model is the loaded package: name and version from model.json, one version.
 * - Input: `text`, BYTES [n] (or [n, 1]). Outputs: `scores` FP32 [n, labels] in label order (also
 *   given as the `labels` parameter of the output and the `labels` property of the metadata) and
 *   `predicted` BYTES [n], each element the comma-joined labels over their thresholds (the top
 *   label when none is).
 * - Errors: the protocol's `{"error": "<message>"}`, plus our stable `code` and `request_id`
 *   (the protocol fixes only the `error` key). 400 for a malformed request, 404 for an unknown
 *   model or version, 503 + Retry-After while loading, draining or overloaded.
 * - Health: 200 = true; false is 503 (+ Retry-After), as KServe's own server answers, so load
 *   balancers and protocol clients read it alike.
 * - `GET /v2/models` lists the loaded models: our extension, `model_list` in `/v2`'s
 *   `extensions`. No binary tensor data, no classification extension.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { RunwatchError } from '../../lib/errors.js';
import type { AppDeps, InferenceRouteOptions } from '../deps.js';
import { ServiceError } from '../errors.js';
import { errorHandler, prepareErrorReply } from '../http/error-reply.js';
import { clientClosedSignal } from '../inference/client-signal.js';
import { parseInferRequest, type TextTensorSignature } from '../inference/oip-request.js';
import { toPrediction } from '../inference/prediction.js';
import type { ServedModel } from '../inference/served-model.js';
import { summarizeInputs } from '../inference/text-input.js';
import { notReadyReason } from '../lifecycle/readiness.js';
import type { Model } from '../model/model.js';
import type { ServiceMetrics } from '../observability/metrics.js';

export const OIP_EXTENSIONS = ['model_list'] as const;
export const OIP_INPUT = 'text';
export const OIP_OUTPUTS = ['scores', 'predicted'] as const;

/** The protocol's error body, with our code alongside. */
function sendOipError(
  request: FastifyRequest,
  reply: FastifyReply,
  error: RunwatchError,
): FastifyReply {
  return prepareErrorReply(reply, error).send({
    error: error.message,
    code: error.code,
    ...(error.field === undefined ? {} : { field: error.field }),
    request_id: request.id,
  });
}

interface ModelParams {
  name: string;
  version?: string;
}

function metadata(model: Model) {
  return {
    name: model.name,
    versions: [model.version],
    platform: 'onnx_onnxv1',
    inputs: [{ name: OIP_INPUT, datatype: 'BYTES', shape: [-1] }],
    outputs: [
      { name: 'scores', datatype: 'FP32', shape: [-1, model.labels.length] },
      { name: 'predicted', datatype: 'BYTES', shape: [-1] },
    ],
    properties: { labels: model.labels.join(',') },
  };
}

export function inferenceProtocolRoutes(
  deps: AppDeps,
  metrics: ServiceMetrics,
  inferenceRoute: InferenceRouteOptions,
): FastifyPluginAsync {
  const { maxInputLength, maxBatchSize } = deps.config.input;
  const probe = { config: { probe: true } } as const;

  /** The served model `params` name, or the right error: 503 while loading, 404 if unknown. */
  const resolve = (params: ModelParams): ServedModel => {
    const served = deps.getServed();
    if (served === null) {
      throw new ServiceError(
        'SVC_ERR_MODEL_NOT_READY',
        'the model is still loading; retry shortly',
      );
    }
    const { model } = served;
    if (params.name !== model.name) {
      throw new ServiceError(
        'SVC_ERR_MODEL_NOT_FOUND',
        `model ${JSON.stringify(params.name)} is not loaded; expected ${JSON.stringify(model.name)}`,
        { field: 'model_name' },
      );
    }
    if (params.version !== undefined && params.version !== model.version) {
      throw new ServiceError(
        'SVC_ERR_MODEL_NOT_FOUND',
        `version ${JSON.stringify(params.version)} of model ${JSON.stringify(model.name)} is not loaded; expected ${JSON.stringify(model.version)}`,
        { field: 'model_version' },
      );
    }
    return served;
  };

  return async (v2: FastifyInstance) => {
    v2.setErrorHandler(
      errorHandler(sendOipError, { bodyLimitBytes: deps.config.http.bodyLimitBytes }),
    );
    v2.setNotFoundHandler((request) => {
      throw new ServiceError(
        'SVC_ERR_NOT_FOUND',
        `no Open Inference Protocol route for ${request.method} ${request.url.split('?')[0]}`,
      );
    });

    v2.get('/', async () => ({
      name: 'runwatch',
      version: deps.serviceVersion,
      extensions: [...OIP_EXTENSIONS],
    }));

    v2.get('/health/live', probe, async () => ({ live: true }));

    v2.get('/health/ready', probe, async (_request, reply) => {
      const reason = notReadyReason(deps);
      if (reason !== null) reply.code(503).header('retry-after', '1');
      return { ready: reason === null };
    });

    v2.get('/models', async () => {
      const served = deps.getServed();
      return {
        models: served
          ? [
              {
                name: served.model.name,
                versions: [served.model.version],
                platform: 'onnx_onnxv1',
                ready: notReadyReason(deps) === null,
              },
            ]
          : [],
      };
    });

    const modelPaths = ['/models/:name', '/models/:name/versions/:version'];
    for (const base of modelPaths) {
      v2.get<{ Params: ModelParams }>(base, async (request) =>
        metadata(resolve(request.params).model),
      );

      v2.get<{ Params: ModelParams }>(`${base}/ready`, probe, async (request, reply) => {
        const { model } = resolve(request.params);
        const ready = notReadyReason(deps) === null;
        if (!ready) reply.code(503).header('retry-after', '1');
        return { name: model.name, ready };
      });

      v2.post<{ Params: ModelParams; Body: unknown }>(
        `${base}/infer`,
        inferenceRoute,
        async (request, reply) => {
          const { model, batcher } = resolve(request.params);
          const signature: TextTensorSignature = {
            input: OIP_INPUT,
            outputs: OIP_OUTPUTS,
            maxTexts: maxBatchSize,
            maxInputLength,
          };
          const parsed = parseInferRequest(request.body, signature);
          request.inputSummary = summarizeInputs(parsed.texts);
          const rows = await batcher.score(parsed.texts, clientClosedSignal(reply));
          metrics.recordPredictions(model.labels, parsed.texts, rows);
          const n = rows.length;
          const outputs = parsed.outputs.map((name) =>
            name === 'scores'
              ? {
                  name,
                  shape: [n, model.labels.length],
                  datatype: 'FP32',
                  parameters: { labels: model.labels.join(',') },
                  data: rows.flat(),
                }
              : {
                  name,
                  shape: [n],
                  datatype: 'BYTES',
                  data: rows.map((row) => toPrediction(model, row).predicted.join(',')),
                },
          );
          return {
            model_name: model.name,
            model_version: model.version,
            id: parsed.id ?? request.id,
            outputs,
          };
        },
      );
    }
  };
}
