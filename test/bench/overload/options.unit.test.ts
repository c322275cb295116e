import test from 'ava';
import { OverloadOptionsError, parseOverloadArgs } from '../../../bench/overload/options.js';

test('overload options: no flags give the full run', (t) => {
  t.deepEqual(parseOverloadArgs([]), {
    rounds: 3,
    durationS: 4,
    warmupS: 1,
    overloadS: 20,
    settleS: 2,
    openingS: 3,
    factor: 4,
    connections: [512, 80],
    probeIntervalMs: 20,
    stackPairs: 16,
    stackWarmS: 15,
    modelPath: 'models/emotion-ekman',
  });
});

test('overload options: the opening window ends with the pass', (t) => {
  const o = parseOverloadArgs(['--settle', '1', '--overload-duration', '2']);
  t.is(o.openingS, 1);
});

const refused = [
  { name: 'a settle as long as the pass', args: ['--settle', '20'], flag: '--settle 20' },
  { name: 'a fractional settle', args: ['--settle', '1.5'], flag: '--settle 1.5' },
  {
    name: 'a fractional pass',
    args: ['--overload-duration', '2.5'],
    flag: '--settle 2 and --overload-duration 2.5',
  },
  { name: 'a flag that is not a number', args: ['--rounds', 'three'], flag: '--rounds three' },
  { name: 'a negative duration', args: ['--duration=-1'], flag: '--duration -1' },
  {
    name: 'a connection count of 0',
    args: ['--connections', '512,0'],
    flag: '--connections 512,0',
  },
];

for (const row of refused) {
  test(`overload options: ${row.name} is refused, naming the flag`, (t) => {
    const e = t.throws(() => parseOverloadArgs(row.args), { instanceOf: OverloadOptionsError });
    t.true(e?.message.startsWith(row.flag), e?.message);
  });
}
