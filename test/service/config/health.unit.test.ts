import { testRefusals } from '../../helpers/service-config.js';

testRefusals('health', [
  {
    name: 'memory thresholds inverted',
    env: { MEMORY_DEGRADED_RATIO: '0.95' },
    message: 'MEMORY_DEGRADED_RATIO="0.95": expected less than MEMORY_UNHEALTHY_RATIO (0.9)',
  },
  {
    name: 'event-loop thresholds inverted',
    env: { EVENT_LOOP_DELAY_DEGRADED_MS: '2000' },
    message:
      'EVENT_LOOP_DELAY_DEGRADED_MS="2000": expected less than EVENT_LOOP_DELAY_UNHEALTHY_MS (1000)',
  },
]);
