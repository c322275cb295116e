import test from 'ava';
import { loadServiceConfig } from '../../../service/config/index.js';
import { problemsOf, testRefusals } from '../../helpers/service-config.js';

testRefusals('shedding', [
  {
    name: 'a shedding queue depth past MAX_QUEUE_DEPTH',
    env: { MAX_QUEUE_DEPTH: '200', SHED_QUEUE_DEPTH: '300' },
    message: 'SHED_QUEUE_DEPTH="300": expected at most MAX_QUEUE_DEPTH (200), or 0 (off)',
  },
  {
    name: 'a shedding delay past the unhealthy event-loop delay',
    env: { SHED_EVENT_LOOP_DELAY_MS: '1500' },
    message:
      'SHED_EVENT_LOOP_DELAY_MS="1500": expected at most EVENT_LOOP_DELAY_UNHEALTHY_MS (1000), or 0 (off)',
  },
  {
    name: "an unhealthy event-loop delay below production's shedding delay",
    env: {
      ENVIRONMENT: 'production',
      AUTH_MODE: 'iam',
      K_SERVICE: 'svc',
      EVENT_LOOP_DELAY_DEGRADED_MS: '100',
      EVENT_LOOP_DELAY_UNHEALTHY_MS: '150',
    },
    message:
      'EVENT_LOOP_DELAY_UNHEALTHY_MS="150": expected at least SHED_EVENT_LOOP_DELAY_MS (200), or SHED_EVENT_LOOP_DELAY_MS=0',
  },
  {
    name: 'an event-loop utilization limit over 1',
    env: { SHED_EVENT_LOOP_UTILIZATION: '1.5' },
    message: 'SHED_EVENT_LOOP_UTILIZATION="1.5": expected a number from 0 to 1',
  },
  {
    name: 'a 5 ms shedding sample interval',
    env: { SHED_SAMPLE_INTERVAL_MS: '5' },
    message: 'SHED_SAMPLE_INTERVAL_MS="5": expected an integer from 10 to 1000',
  },
]);

test('config shedding: on in production and staging (200 ms loop delay, 64 queued texts; utilization off) and off in development but for the queue', (t) => {
  for (const environment of ['production', 'staging']) {
    t.deepEqual(
      loadServiceConfig({ ENVIRONMENT: environment, AUTH_MODE: 'iam', K_SERVICE: 'svc' }).config
        .shedding,
      {
        eventLoopDelayMs: 200,
        eventLoopUtilization: 0,
        queueDepth: 64,
        sampleIntervalMs: 100,
        holdMs: 2000,
      },
    );
  }
  t.deepEqual(loadServiceConfig({}).config.shedding, {
    eventLoopDelayMs: 0,
    eventLoopUtilization: 0,
    queueDepth: 64,
    sampleIntervalMs: 100,
    holdMs: 2000,
  });
  const tuned = loadServiceConfig({
    MAX_QUEUE_DEPTH: '128',
    SHED_QUEUE_DEPTH: '0',
    SHED_EVENT_LOOP_DELAY_MS: '1000',
  }).config.shedding;
  t.like(
    tuned,
    { queueDepth: 0, eventLoopDelayMs: 1000 },
    '0 is off; the unhealthy delay is allowed',
  );
  t.is(loadServiceConfig({ MAX_QUEUE_DEPTH: '128' }).config.shedding.queueDepth, 64);
  t.is(
    loadServiceConfig({ MAX_BATCH_SIZE: '10', MAX_QUEUE_DEPTH: '32' }).config.shedding.queueDepth,
    32,
    'capped at MAX_QUEUE_DEPTH',
  );
});

test('config shedding: SHED_HOLD_MS within 1 s of KEEP_ALIVE_TIMEOUT_MS is refused: Node could close a held connection as idle, its request unread', (t) => {
  for (const hold of ['6000', '5500', '5001']) {
    const problems = problemsOf({ SHED_HOLD_MS: hold, KEEP_ALIVE_TIMEOUT_MS: '6000' });
    t.is(problems.length, 1, hold);
    t.regex(problems[0] ?? '', /SHED_HOLD_MS.*at most KEEP_ALIVE_TIMEOUT_MS \(6000\) less 1000 ms/);
  }
  t.deepEqual(problemsOf({ SHED_HOLD_MS: '5000', KEEP_ALIVE_TIMEOUT_MS: '6000' }), []);
  t.deepEqual(problemsOf({ SHED_HOLD_MS: '0', KEEP_ALIVE_TIMEOUT_MS: '1000' }), []);
});
