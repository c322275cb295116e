import { testRefusals } from '../../helpers/service-config.js';

testRefusals('model', [
  {
    name: 'fault injection outside development',
    env: { ENVIRONMENT: 'staging', AUTH_MODE: 'iam', ENABLE_FAULT_INJECTION: 'true' },
    message:
      'ENABLE_FAULT_INJECTION="true": expected false outside development (ENVIRONMENT is staging)',
  },
  {
    name: 'an inference batch of 0',
    env: { MAX_BATCH_SIZE_INFER: '0' },
    message: 'MAX_BATCH_SIZE_INFER="0": expected an integer from 1 to 1024',
  },
  {
    name: 'a batch delay of 1.5 ms',
    env: { MAX_BATCH_DELAY_MS: '1.5' },
    message: 'MAX_BATCH_DELAY_MS="1.5": expected an integer from 0 to 1000',
  },
  {
    name: 'a queue shallower than one full /predict_batch',
    env: { MAX_QUEUE_DEPTH: '50' },
    message: 'MAX_QUEUE_DEPTH="50": expected at least MAX_BATCH_SIZE (100)',
  },
  {
    name: 'a /predict_batch limit deeper than the queue',
    env: { MAX_BATCH_SIZE: '300' },
    message: 'MAX_BATCH_SIZE="300": expected at most MAX_QUEUE_DEPTH (256)',
  },
]);
