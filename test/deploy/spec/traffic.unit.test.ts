/**
 * The candidate's traffic block: what serves now keeps serving, other tags stay, the candidate
 * tag moves to the new revision at 0 %, and a first deploy gives the new revision everything.
 */
import test from 'ava';
import { SpecError } from '../../../deploy/spec/errors.js';
import { candidateTraffic } from '../../../deploy/spec/traffic.js';

const listed = (traffic: unknown[]): string =>
  JSON.stringify([{ metadata: { name: 'runwatch' }, status: { traffic } }]);

test('deploy traffic: before the first deploy (an empty list) the candidate takes all traffic', (t) => {
  t.deepEqual(candidateTraffic('[]\n', 'current.json'), [
    { tag: 'candidate', latestRevision: true, percent: 100 },
  ]);
  t.deepEqual(candidateTraffic('', 'current.json'), [
    { tag: 'candidate', latestRevision: true, percent: 100 },
  ]);
});

test('deploy traffic: the serving revision keeps its 100 % and the candidate gets 0 % under its tag', (t) => {
  const current = listed([
    { revisionName: 'runwatch-00007-abc', percent: 100, latestRevision: true },
  ]);
  t.deepEqual(candidateTraffic(current, 'current.json'), [
    { revisionName: 'runwatch-00007-abc', percent: 100 },
    { tag: 'candidate', latestRevision: true, percent: 0 },
  ]);
});

test('deploy traffic: a split keeps its percents and other tags; the old candidate tag is dropped', (t) => {
  const current = listed([
    { revisionName: 'runwatch-00007-abc', percent: 90 },
    { revisionName: 'runwatch-00006-xyz', percent: 10, tag: 'canary' },
    { revisionName: 'runwatch-00005-old', percent: 0, tag: 'candidate' },
    { revisionName: 'runwatch-00004-pin', tag: 'pinned' },
  ]);
  t.deepEqual(candidateTraffic(current, 'current.json'), [
    { revisionName: 'runwatch-00007-abc', percent: 90 },
    { revisionName: 'runwatch-00006-xyz', percent: 10, tag: 'canary' },
    { revisionName: 'runwatch-00004-pin', percent: 0, tag: 'pinned' },
    { tag: 'candidate', latestRevision: true, percent: 0 },
  ]);
});

const BAD: readonly [string, string, string][] = [
  ['not JSON', '{oops', 'current.json: not JSON'],
  ['an object, not the list', '{"status":{}}', 'current.json: not an array'],
  ['two services', '[{},{}]', 'current.json: 2 services, not one'],
  [
    'a service without status.traffic',
    '[{"status":{}}]',
    'current.json: no status.traffic on the service',
  ],
  [
    'a target without a revision name',
    listed([{ percent: 100 }]),
    'current.json: status.traffic[0] has no revisionName',
  ],
  [
    'traffic that does not sum to 100',
    listed([{ revisionName: 'r1', percent: 60 }]),
    'current.json: status.traffic sums to 60 percent, not 100',
  ],
];

for (const [name, text, message] of BAD) {
  test(`deploy traffic: ${name} is SPEC_ERR_CURRENT_SERVICE naming the file`, (t) => {
    const e = t.throws(() => candidateTraffic(text, 'current.json'), { instanceOf: SpecError });
    t.is(e.code, 'SPEC_ERR_CURRENT_SERVICE');
    t.true(e.message.startsWith(message), e.message);
  });
}
