/**
 * The model and how texts reach it: where the package is, how texts are micro-batched into one
 * session.run and how many may wait, and the fault injection that makes it fail on purpose.
 */
import { integer, text, trueOrFalse } from '../../lib/config/formats.js';
import type { ConfigReport } from '../../lib/config/problems.js';
import type { OperatorEnv } from '../../lib/config/read.js';
import { setting, type ValuesOf } from '../../lib/config/settings.js';
import type { DeploymentConfig } from './deployment.js';
import type { LimitsConfig } from './limits.js';

export const modelSettings = {
  modelPath: setting({
    env: 'MODEL_PATH',
    doc: 'Directory of the model package (model.onnx + model.json).',
    format: text,
    default: 'models/emotion-ekman',
  }),
  inference: {
    maxBatchSize: setting({
      env: 'MAX_BATCH_SIZE_INFER',
      doc: 'Most texts scored in one session.run; texts queued together share a run. 1 turns micro-batching off.',
      format: integer(1, 1024),
      default: 8,
    }),
    maxBatchDelayMs: setting({
      env: 'MAX_BATCH_DELAY_MS',
      doc: 'How long the first queued text waits for others to share its run, in ms; 0 waits one event-loop turn.',
      format: integer(0, 1000),
      default: 2,
    }),
    maxQueueDepth: setting({
      env: 'MAX_QUEUE_DEPTH',
      doc: 'Most texts waiting for a run; a request that would overflow it gets 503 SVC_ERR_OVERLOADED. At least MAX_BATCH_SIZE.',
      format: integer(1, 1_000_000),
      default: 256,
    }),
  },
  faultInjection: setting({
    env: 'ENABLE_FAULT_INJECTION',
    doc: 'Register POST /admin/faults (admin key) to make the model fail on demand, for demos and monitoring tests. Development only.',
    format: trueOrFalse,
    default: false,
  }),
};

export type ModelConfig = ValuesOf<typeof modelSettings>;

export function checkModel(
  config: ModelConfig & LimitsConfig & DeploymentConfig,
  report: ConfigReport,
  operator: OperatorEnv,
): void {
  const { maxQueueDepth } = config.inference;
  const { maxBatchSize } = config.input;
  if (maxQueueDepth < maxBatchSize) {
    // Otherwise a full-size /predict_batch could never be queued, however idle the instance.
    if (operator.has('MAX_QUEUE_DEPTH')) {
      report.refuse(
        'MAX_QUEUE_DEPTH',
        operator.text('MAX_QUEUE_DEPTH'),
        `at least MAX_BATCH_SIZE (${maxBatchSize})`,
      );
    } else {
      report.refuse(
        'MAX_BATCH_SIZE',
        operator.text('MAX_BATCH_SIZE'),
        `at most MAX_QUEUE_DEPTH (${maxQueueDepth})`,
      );
    }
  }
  if (config.faultInjection && config.environment !== 'development') {
    report.refuse(
      'ENABLE_FAULT_INJECTION',
      operator.text('ENABLE_FAULT_INJECTION'),
      `false outside development (ENVIRONMENT is ${config.environment})`,
    );
  }
}
