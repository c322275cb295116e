import test from 'ava';
import { IngestOptionsError, parseIngestArgs } from '../../../bench/ingest/options.js';
import { DEFAULT_POSTGRES_URL } from '../../../bench/lib/postgres.js';

test('ingest options: no flags give the full run', (t) => {
  t.deepEqual(parseIngestArgs([]), {
    rounds: 5,
    durationS: 4,
    warmupS: 2,
    connections: [1, 16],
    logLevel: 'warn',
    latencyRounds: 3,
    latencyMessages: 200,
    latencyRate: 25,
    postgresUrl: DEFAULT_POSTGRES_URL,
  });
});

test('ingest options: the latency phase can be left out', (t) => {
  t.is(parseIngestArgs(['--latency-rounds', '0']).latencyRounds, 0);
});

const refused = [
  { args: ['--rounds', '0'], flag: '--rounds 0' },
  { args: ['--duration', '2.5'], flag: '--duration 2.5' },
  { args: ['--connections', '1,x'], flag: '--connections 1,x' },
  { args: ['--connections', '0'], flag: '--connections 0' },
  { args: ['--log-level', 'debug'], flag: '--log-level debug' },
  { args: ['--latency-rate', '0'], flag: '--latency-rate 0' },
];

for (const { args, flag } of refused) {
  test(`ingest options: ${flag} is refused, naming the flag`, (t) => {
    const e = t.throws(() => parseIngestArgs(args), { instanceOf: IngestOptionsError });
    t.true(e?.message.startsWith(flag), e?.message);
  });
}
