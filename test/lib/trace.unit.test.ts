import test from 'ava';
import { traceFields } from '../../lib/trace.js';

test('trace: X-Cloud-Trace-Context gives the project trace name, a hex span id and the sampled flag', (t) => {
  t.deepEqual(
    traceFields({ 'x-cloud-trace-context': '105445aa7843bc8bf206b12000100000/1;o=1' }, 'my-proj'),
    {
      'logging.googleapis.com/trace': 'projects/my-proj/traces/105445aa7843bc8bf206b12000100000',
      'logging.googleapis.com/spanId': '0000000000000001',
      'logging.googleapis.com/trace_sampled': true,
    },
  );
});

test('trace: traceparent wins over X-Cloud-Trace-Context', (t) => {
  const f = traceFields(
    {
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01',
      'x-cloud-trace-context': '105445aa7843bc8bf206b12000100000/1;o=0',
    },
    'p',
  );
  t.is(f['logging.googleapis.com/trace'], 'projects/p/traces/0af7651916cd43dd8448eb211c80319c');
  t.is(f['logging.googleapis.com/spanId'], '00f067aa0ba902b7');
  t.true(f['logging.googleapis.com/trace_sampled']);
});

test('trace: malformed or all-zero headers give no trace fields', (t) => {
  t.deepEqual(traceFields({ traceparent: 'garbage' }, 'p'), {});
  t.deepEqual(
    traceFields({ 'x-cloud-trace-context': '00000000000000000000000000000000/0' }, 'p'),
    {},
  );
  t.deepEqual(traceFields({}, 'p'), {});
});
