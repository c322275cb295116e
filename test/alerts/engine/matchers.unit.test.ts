import test from 'ava';
import {
  ENGINE_ERR_MATCHER_INVALID,
  EngineDefinitionsError,
} from '../../../alerts/engine/definition-errors.js';
import {
  formatMatcher,
  MAX_REGEX_LENGTH,
  matches,
  matchesAll,
  newMatcher,
  parseMatcher,
  parseMatchers,
} from '../../../alerts/engine/matchers.js';

// Each row: the text, and the matcher Alertmanager's pkg/labels parser makes of it.
const parsed = [
  { text: 'severity="critical"', want: { name: 'severity', op: '=', value: 'critical' } },
  { text: 'severity=critical', want: { name: 'severity', op: '=', value: 'critical' } },
  { text: '  target != "dev"  ', want: { name: 'target', op: '!=', value: 'dev' } },
  { text: 'alertname=~"Infer.*"', want: { name: 'alertname', op: '=~', value: 'Infer.*' } },
  { text: 'x!~a|b', want: { name: 'x', op: '!~', value: 'a|b' } },
  { text: 'x=""', want: { name: 'x', op: '=', value: '' } },
  { text: 'x=', want: { name: 'x', op: '=', value: '' } },
  { text: 'q="say \\"hi\\""', want: { name: 'q', op: '=', value: 'say "hi"' } },
  { text: 'q="a\\nb"', want: { name: 'q', op: '=', value: 'a\nb' } },
  { text: 'q="back\\\\slash"', want: { name: 'q', op: '=', value: 'back\\slash' } },
  { text: 'q="\\d+"', want: { name: 'q', op: '=', value: '\\d+' } },
  { text: 'ns:name="v"', want: { name: 'ns:name', op: '=', value: 'v' } },
] as const;

for (const row of parsed) {
  test(`matchers: ${JSON.stringify(row.text)} parses to ${row.want.name} ${row.want.op} ${JSON.stringify(row.want.value)}`, (t) => {
    const m = parseMatcher(row.text);
    t.deepEqual({ name: m.name, op: m.op, value: m.value }, row.want);
  });
}

const refused = [
  { text: 'severity', words: ['"severity"', 'expected name, one of'] },
  { text: '1abc="x"', words: ['expected name'] },
  { text: 'x=="y"', words: ['unescaped double quote'] },
  { text: 'x="unterminated', words: ['unescaped double quote'] },
  { text: 'x=a"b', words: ['unescaped double quote'] },
  { text: 'x=~"(unclosed"', words: ['is invalid', 'expected a valid regular expression'] },
  { text: 'x=~"(a+)+"', words: ['nested repetition'] },
  { text: 'x=~"(?:a*b?)*"', words: ['nested repetition'] },
  { text: 'x=~"(a)\\\\1"', words: ['backreference'] },
  { text: 'x=~"(?=a)a"', words: ['lookahead'] },
  { text: 'x=~"(?<!a)b"', words: ['lookbehind'] },
  { text: 'x=~"a(?s).b"', words: ['inline flags'] },
  { text: `x=~"${'a'.repeat(MAX_REGEX_LENGTH + 1)}"`, words: ['expected at most'] },
];

for (const row of refused) {
  test(`matchers: ${JSON.stringify(row.text.slice(0, 30))} is refused with ENGINE_ERR_MATCHER_INVALID`, (t) => {
    const err = t.throws(() => parseMatcher(row.text), { instanceOf: EngineDefinitionsError });
    t.is(err?.code, ENGINE_ERR_MATCHER_INVALID);
    for (const w of row.words) t.true(err?.message.includes(w), `${w} in ${err?.message}`);
  });
}

const labels = { alertname: 'InferDown', target: 'prod', empty: '' };

// Each row: a matcher and whether it accepts `labels`.
const matching = [
  ['alertname="InferDown"', true],
  ['alertname="inferdown"', false],
  ['alertname!="InferDown"', false],
  ['alertname!="X"', true],
  ['alertname=~"Infer.*"', true],
  ['alertname=~"Infer"', false], // anchored: the whole value
  ['alertname=~"Down"', false],
  ['alertname=~".*Down"', true],
  ['alertname=~"InferDown|X"', true], // the alternation is inside the anchors
  ['alertname=~"X|InferDown"', true],
  ['alertname!~"Infer.*"', false],
  ['alertname!~"X.*"', true],
  ['alertname=~"(?i)INFERDOWN"', true],
  // A missing label is the empty string.
  ['severity=""', true],
  ['severity!=""', false],
  ['severity=~".*"', true],
  ['severity=~".+"', false],
  ['severity!~"critical"', true],
  ['severity!="critical"', true],
  ['severity="critical"', false],
  // An empty label is the same as a missing one.
  ['empty=""', true],
  ['empty=~"^$|x"', true],
] as const;

for (const [text, want] of matching) {
  test(`matchers: ${text} ${want ? 'accepts' : 'refuses'} ${JSON.stringify(labels)}`, (t) => {
    t.is(matches(parseMatcher(text), labels), want);
  });
}

test('matchers: a regex matcher made by hand (not parsed) matches the same, anchored', (t) => {
  const handMade = { name: 'alertname', op: '=~', value: 'Infer' } as const;
  t.false(matches(handMade, labels));
  t.true(matches({ ...handMade, value: 'Infer.+' }, labels));
});

test('matchers: matchesAll needs every matcher; an empty list accepts everything', (t) => {
  t.true(matchesAll([], labels));
  t.true(matchesAll(parseMatchers('alertname="InferDown", target=~"pr.*"'), labels));
  t.false(matchesAll(parseMatchers('{alertname="InferDown",target="dev"}'), labels));
});

test('matchers: parseMatchers splits on commas outside quotes only', (t) => {
  const ms = parseMatchers('{a="x,y", b!=z, }');
  t.deepEqual(
    ms.map((m) => [m.name, m.op, m.value]),
    [
      ['a', '=', 'x,y'],
      ['b', '!=', 'z'],
    ],
  );
});

test('matchers: formatMatcher writes a form parseMatcher reads back', (t) => {
  for (const value of ['plain', 'say "hi"', 'a\nb', 'back\\slash', '']) {
    const m = newMatcher('x', '=', value);
    t.is(parseMatcher(formatMatcher(m)).value, value);
  }
});

test('matchers: newMatcher refuses a bad label name and a bad operator', (t) => {
  t.is(t.throws(() => newMatcher('a-b', '=', 'x'))?.message.includes('"a-b"'), true);
  t.is(
    (t.throws(() => newMatcher('a', '==' as '=', 'x')) as EngineDefinitionsError).code,
    ENGINE_ERR_MATCHER_INVALID,
  );
});
