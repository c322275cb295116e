import test from 'ava';
import fc from 'fast-check';
import { fingerprint } from '../../../alerts/engine/fingerprint.js';

/** The Go algorithm (prometheus/common model/signature.go, fnv.go) in BigInt: the test's oracle. */
function reference(labels: Record<string, string>): string {
  const enc = new TextEncoder();
  const names = Object.keys(labels).sort((a, b) => Buffer.compare(enc.encode(a), enc.encode(b)));
  let h = 14695981039346656037n;
  const add = (byte: number) => {
    h = BigInt.asUintN(64, (h ^ BigInt(byte)) * 1099511628211n);
  };
  for (const n of names) {
    for (const b of enc.encode(n)) add(b);
    add(0xff);
    for (const b of enc.encode(labels[n] ?? '')) add(b);
    add(0xff);
  }
  return h.toString(16).padStart(16, '0');
}

// Vectors published in Go: prometheus/common model/signature_test.go (decimal) and
// alertmanager api/v2/api_test.go, template/template_test.go (hex).
const vectors = [
  { labels: {}, want: BigInt('14695981039346656037').toString(16) },
  {
    labels: { name: 'garland, briggs', fear: 'love is not enough' },
    want: BigInt('5799056148416392346').toString(16).padStart(16, '0'),
  },
  { labels: { empty: '' }, want: BigInt('7187873163539638612').toString(16).padStart(16, '0') },
  { labels: { severity: 'critical', alertname: 'alert1' }, want: '0223b772b51c29e1' },
  { labels: { severity: 'warning', job: 'foo' }, want: '9266ef3da838ad95' },
  { labels: { severity: 'critical', job: 'foo' }, want: '3b15fd163d36582e' },
];

for (const v of vectors) {
  test(`fingerprint: ${JSON.stringify(v.labels)} is ${v.want}, as Go computes it`, (t) => {
    t.is(fingerprint(v.labels), v.want);
    t.regex(fingerprint(v.labels), /^[0-9a-f]{16}$/);
  });
}

test('fingerprint: the empty value of a label is still part of the identity', (t) => {
  t.not(fingerprint({ a: '1', b: '' }), fingerprint({ a: '1' }));
});

test('fingerprint: moving a character between name and value changes it (the separator)', (t) => {
  t.not(fingerprint({ ab: 'c' }), fingerprint({ a: 'bc' }));
});

const labelSets = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 8, unit: 'grapheme' }),
  fc.string({ maxLength: 12, unit: 'grapheme' }),
  { maxKeys: 8 },
);

test('fingerprint: agrees with the BigInt reference of the Go algorithm on any labels, Unicode included', (t) => {
  fc.assert(
    fc.property(labelSets, (labels) => fingerprint(labels) === reference(labels)),
    {
      numRuns: 500,
    },
  );
  t.pass();
});

test('fingerprint: the order labels are given in does not matter', (t) => {
  fc.assert(
    fc.property(labelSets, fc.infiniteStream(fc.nat()), (labels, seeds) => {
      const entries = Object.entries(labels);
      const shuffled = entries
        .map((e) => [seeds.next().value as number, e] as const)
        .sort((a, b) => a[0] - b[0])
        .map(([, e]) => e);
      return fingerprint(Object.fromEntries(shuffled)) === fingerprint(labels);
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('fingerprint: annotations are never part of it (an alert is its labels)', (t) => {
  const labels = { alertname: 'InferDown', target: 'prod' };
  const a = { labels, annotations: { summary: 'prod is down' } };
  const b = { labels: { ...labels }, annotations: { summary: 'prod is down: up = 0 for 3m' } };
  t.is(fingerprint(a.labels), fingerprint(b.labels));
});
