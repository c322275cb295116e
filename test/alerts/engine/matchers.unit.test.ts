import test from 'ava';
import {
  ENGINE_ERR_MATCHER_INVALID,
  EngineDefinitionsError,
} from '../../../alerts/engine/definition-errors.js';
import {
  compileRegex,
  formatMatcher,
  MAX_REGEX_LENGTH,
  matches,
  matchesAll,
  newMatcher,
  parseMatcher,
  parseMatchers,
  REGEX_CACHE_SIZE,
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
  { text: 'x=~"(unclosed"', words: ['"(unclosed"', 'is invalid', 'expected RE2 syntax'] },
  // What RE2 has no syntax for: backreferences and lookaround.
  { text: 'x=~"(a)\\1"', words: ['"(a)\\\\1"', 'is invalid', 'expected RE2 syntax'] },
  { text: 'x=~"(?=a)a"', words: ['"(?=a)a"', 'is invalid'] },
  { text: 'x=~"(?<!a)b"', words: ['"(?<!a)b"', 'is invalid'] },
  // A regex that is not one on its own cannot step out of the anchors around it.
  { text: 'x=~"a)|(b"', words: ['"a)|(b"', 'is invalid'] },
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
  ['alertname=~"(?i)infer(?-i)Down"', true],
  ['alertname=~"(?i)infer(?-i)DOWN"', false],
  // RE2 syntax JavaScript lacks: Unicode classes, Python-style named groups, quoting, POSIX classes.
  ['alertname=~"\\pL+"', true],
  ['alertname=~"\\p{Lu}\\pL+"', true],
  ['alertname=~"(?P<word>Infer)Down"', true],
  ['alertname=~"\\QInfer\\E.*"', true],
  ['alertname=~"[[:alpha:]]+"', true],
  ['target=~"(?s)pr.d"', true],
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

// Patterns a backtracking engine takes exponential time on, against inputs that make it try every
// split; RE2 answers in time linear in the input.
const catastrophic = [
  { re: '(a+)+$', value: `${'a'.repeat(40)}!`, want: false },
  { re: '(a+)+', value: 'a'.repeat(40), want: true },
  { re: '(a|a)*b', value: 'a'.repeat(40), want: false },
  { re: '(a|aa)+c', value: 'a'.repeat(60), want: false },
  { re: '(.*a){20}', value: 'a'.repeat(40), want: true },
  { re: '(x+x+)+y', value: 'x'.repeat(10_000), want: false },
];

for (const row of catastrophic) {
  test(`matchers: ${row.re} against ${row.value.length} characters answers ${row.want}`, (t) => {
    t.is(matches(newMatcher('v', '=~', row.re), { v: row.value }), row.want);
    t.is(matches(newMatcher('v', '!~', row.re), { v: row.value }), !row.want);
  });
}

test('matchers: a regex is compiled once per source and kept in a bounded cache', (t) => {
  const first = compileRegex('cache-probe-[0-9]+');
  t.is(compileRegex('cache-probe-[0-9]+'), first, 'the same source: the same compiled regex');
  const kept = compileRegex('cache-kept');
  for (let i = 0; i < REGEX_CACHE_SIZE; i++) {
    compileRegex(`cache-filler-${i}`);
    // Used all along, so it is never the least recently used.
    if (i % 100 === 0) t.is(compileRegex('cache-kept'), kept);
  }
  t.is(compileRegex('cache-kept'), kept, 'a recently used regex stays');
  t.not(compileRegex('cache-probe-[0-9]+'), first, 'the least recently used one went');
});

test('matchers: a regex matcher made by hand is matched through the cache, not recompiled per match', (t) => {
  const handMade = { name: 'alertname', op: '=~', value: 'Infer(Down|Up)-by-hand' } as const;
  const compiled = compileRegex(handMade.value);
  // Fill the cache once over: only a use through the cache keeps the hand-made one in it.
  for (let i = 0; i < REGEX_CACHE_SIZE; i++) {
    compileRegex(`by-hand-filler-${i}`);
    if (i === REGEX_CACHE_SIZE / 2) t.false(matches({ ...handMade }, labels));
  }
  t.is(compileRegex(handMade.value), compiled);
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
