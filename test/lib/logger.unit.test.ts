import test from 'ava';
import { sinkLogger } from '../helpers/log-sink.js';

test('logger: API keys and authorization headers never leave, wherever the headers object sits', (t) => {
  const sink = sinkLogger('info');
  const headers = { 'x-api-key': 'secret-key-0123456789', authorization: 'Bearer secret-token' };
  sink.log.info({ headers }, 'top level');
  sink.log.info({ req: { headers } }, 'as req');
  sink.log.info({ request: { headers } }, 'as request');
  const text = JSON.stringify(sink.lines);
  t.false(text.includes('secret-key-0123456789'));
  t.false(text.includes('secret-token'));
  const first = (sink.lines[0]?.headers ?? {}) as Record<string, string>;
  t.is(first['x-api-key'], '[redacted]');
  t.is(sink.lines[0]?.severity, 'INFO');
});
