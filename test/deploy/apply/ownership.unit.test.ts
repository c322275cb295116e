/** Which existing channel or policy is a definition's, by its labels, else by displayName. */
import test from 'ava';
import { findExisting, untouchedNote } from '../../../deploy/apply/ownership.js';

const mine = {
  name: 'n/1',
  displayName: 'd',
  userLabels: { 'managed-by': 'runwatch', 'runwatch-id': 'a' },
};
const renamed = { ...mine, name: 'n/2', displayName: 'old name' };
const foreign = { name: 'n/3', displayName: 'd', userLabels: { team: 'x' } };
const otherId = {
  name: 'n/4',
  displayName: 'd',
  userLabels: { 'managed-by': 'runwatch', 'runwatch-id': 'b' },
};

const cases = [
  ['nothing exists: create', [], false, { kind: 'none' }],
  [
    'its labels find it',
    [foreign, mine],
    false,
    { kind: 'managed', existing: mine, adopted: false },
  ],
  [
    'its labels find it under an old displayName',
    [renamed],
    false,
    { kind: 'managed', existing: renamed, adopted: false },
  ],
  [
    'the same displayName without labels is not touched',
    [foreign],
    false,
    { kind: 'unmanaged', existing: [foreign] },
  ],
  [
    'the same displayName under another id is not touched',
    [otherId],
    false,
    { kind: 'unmanaged', existing: [otherId] },
  ],
  [
    '--adopt takes a single unlabelled one over',
    [foreign],
    true,
    { kind: 'managed', existing: foreign, adopted: true },
  ],
  [
    'two with its labels are ambiguous',
    [mine, renamed],
    false,
    {
      kind: 'ambiguous',
      names: ['n/1', 'n/2'],
      why: '2 carry managed-by: runwatch and runwatch-id: a',
    },
  ],
  [
    '--adopt with two of the displayName is ambiguous',
    [foreign, otherId],
    true,
    { kind: 'ambiguous', names: ['n/3', 'n/4'], why: '--adopt found 2 with displayName "d"' },
  ],
] as const;

for (const [title, existing, adopt, expected] of cases) {
  test(`deploy apply ownership: ${title}`, (t) => {
    t.deepEqual(findExisting(existing, 'a', 'd', adopt), expected);
  });
}

test('deploy apply ownership: the untouched note says why and how to take it over', (t) => {
  t.regex(
    untouchedNote([foreign], 'd'),
    /without the managed-by: runwatch label \(created outside runwatch\); not touched, and none created beside it\. To have apply manage it, run with --adopt/,
  );
  t.regex(untouchedNote([otherId], 'd'), /under another definition id \(runwatch-id: b\)/);
});
