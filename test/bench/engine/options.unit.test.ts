import test from 'ava';
import { EngineBenchOptionsError, parseEngineArgs } from '../../../bench/engine/options.js';
import { DEFAULT_POSTGRES_URL } from '../../../bench/lib/postgres.js';

test('engine bench options: no flags give the full run', (t) => {
  t.deepEqual(parseEngineArgs([]), {
    rounds: 3,
    passes: 4,
    latencyRounds: 3,
    latencySamples: 100,
    postgresUrl: DEFAULT_POSTGRES_URL,
  });
});

test('engine bench options: the latency phase can be left out', (t) => {
  t.is(parseEngineArgs(['--latency-rounds', '0']).latencyRounds, 0);
});

const refused = [
  { args: ['--rounds', '0'], flag: '--rounds 0' },
  { args: ['--passes', '1.5'], flag: '--passes 1.5' },
  { args: ['--latency-samples', '0'], flag: '--latency-samples 0' },
  { args: ['--latency-rounds', 'x'], flag: '--latency-rounds x' },
];

for (const { args, flag } of refused) {
  test(`engine bench options: ${flag} is refused, naming the flag`, (t) => {
    const e = t.throws(() => parseEngineArgs(args), { instanceOf: EngineBenchOptionsError });
    t.true(e?.message.startsWith(flag), e?.message);
  });
}

test('engine bench options: an unknown flag is refused', (t) => {
  t.throws(() => parseEngineArgs(['--seconds', '3']));
});
