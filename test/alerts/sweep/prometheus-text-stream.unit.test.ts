/**
 * The parser as the probe uses it (issue 16, finding 1): fed the body in chunks as it arrives,
 * bounded in samples, and linear (slices of the text, no per-character building). Checked against
 * the parser it replaced (test/helpers/prom-text-reference.ts) on generated expositions and on
 * fuzzed text, sample for sample and error for error.
 */
import test from 'ava';
import fc from 'fast-check';
import {
  createPrometheusParser,
  type Exposition,
  parsePrometheusText,
  ScrapeError,
} from '../../../alerts/sweep/prometheus-text.js';
import { parseReference } from '../../helpers/prom-text-reference.js';

/** Comparable form: samples with values as strings (NaN equals NaN), families as entries. */
function plain(e: Exposition) {
  return {
    samples: e.samples.map((s) => ({ ...s, value: String(s.value) })),
    families: [...e.families].map(([k, v]) => [k, { ...v }]),
  };
}

function outcome(parse: () => Exposition): unknown {
  try {
    return plain(parse());
  } catch (e) {
    return { error: (e as Error).message };
  }
}

const escapeLabel = (v: string) =>
  v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const escapeHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

const metricName = fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,12}$/);
const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/);
const value = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => String(d)),
  fc.constantFrom('+Inf', '-Inf', 'NaN', 'Nan', 'inf', '1e308', '.5', '-0'),
);
const space = fc.constantFrom(' ', '\t', '  ');

/** One exposition line, as an exporter might write it (escapes, spacing, \r, comments). */
const line = fc.oneof(
  fc
    .tuple(
      metricName,
      fc.uniqueArray(fc.tuple(labelName, fc.string({ maxLength: 20 })), {
        maxLength: 4,
        selector: ([n]) => n,
      }),
      space,
      value,
      fc.option(fc.integer({ min: -1e12, max: 1e12 })),
      fc.boolean(),
      fc.boolean(),
    )
    .map(([name, labels, sp, v, ts, comma, cr]) => {
      const body = labels.map(([k, x]) => `${k}="${escapeLabel(x)}"`).join(',');
      const braces =
        labels.length === 0 && !comma ? '' : `{${body}${comma && labels.length > 0 ? ',' : ''}}`;
      return `${name}${braces}${sp}${v}${ts === null ? '' : ` ${ts}`}${cr ? '\r' : ''}`;
    }),
  fc
    .tuple(metricName, fc.string({ maxLength: 30 }))
    .map(([n, h]) => `# HELP ${n} ${escapeHelp(h)}`),
  fc
    .tuple(metricName, fc.constantFrom('counter', 'gauge', 'histogram', 'summary', 'untyped'))
    .map(([n, ty]) => `# TYPE ${n} ${ty}`),
  fc.constantFrom('', '# just a comment', '   '),
);

test('prometheus text: agrees with the reference parser on generated expositions (property)', (t) => {
  fc.assert(
    fc.property(fc.array(line, { maxLength: 30 }), (lines) => {
      const text = lines.join('\n');
      const got = outcome(() => parsePrometheusText(text));
      t.deepEqual(
        got,
        outcome(() => parseReference(text)),
      );
      return !('error' in (got as object));
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('prometheus text: agrees with the reference parser on fuzzed text, errors and their messages included (property)', (t) => {
  const alphabet = fc.constantFrom(...'m_{}=",\\n #\t\r1.e+-IfNa:TYPEHLPcounter'.split(''), '\n');
  fc.assert(
    fc.property(fc.array(alphabet, { maxLength: 60 }), (chars) => {
      const text = chars.join('');
      const got = outcome(() => parsePrometheusText(text));
      const want = outcome(() => parseReference(text));
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        t.deepEqual(got, want, JSON.stringify(text));
        return false;
      }
      return true;
    }),
    { numRuns: 3000 },
  );
  t.pass();
});

test('prometheus text: fed in chunks, split anywhere, it parses as the whole text does (property)', (t) => {
  fc.assert(
    fc.property(
      fc.array(line, { maxLength: 20 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      (lines, cuts) => {
        const text = lines.join('\n');
        const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const whole = outcome(() => parsePrometheusText(text));
        const chunked = outcome(() => {
          const parser = createPrometheusParser();
          let from = 0;
          for (const cut of [...at, text.length]) {
            parser.push(text.slice(from, cut));
            from = cut;
          }
          return parser.end();
        });
        t.deepEqual(chunked, whole);
        return true;
      },
    ),
    { numRuns: 300 },
  );
  t.pass();
});

test('prometheus text: more samples than maxSamples is SCRAPE_ERR_TOO_MANY_SAMPLES, parsing no further', (t) => {
  const text = `${Array.from({ length: 11 }, (_, i) => `m${i} 1`).join('\n')}\nnot a valid line {`;
  const err = t.throws(() => parsePrometheusText(text, { maxSamples: 10 }), {
    instanceOf: ScrapeError,
  });
  t.is(err?.code, 'SCRAPE_ERR_TOO_MANY_SAMPLES');
  t.is(err?.message, '/metrics has more than 10 samples (line 11); the scrape is refused');
  t.is(
    parsePrometheusText(text.split('\n').slice(0, 10).join('\n'), { maxSamples: 10 }).samples
      .length,
    10,
  );
});

test('prometheus text: more families (# TYPE and # HELP names) than maxSamples is SCRAPE_ERR_TOO_MANY_SAMPLES', (t) => {
  const text = Array.from({ length: 11 }, (_, i) => `# TYPE m${i} counter`).join('\n');
  const err = t.throws(() => parsePrometheusText(text, { maxSamples: 10 }), {
    instanceOf: ScrapeError,
  });
  t.is(err?.code, 'SCRAPE_ERR_TOO_MANY_SAMPLES');
});

test('prometheus text: onSample sees each sample as it is parsed, and what it throws stops the parse', (t) => {
  const seen: string[] = [];
  const parser = createPrometheusParser({
    onSample: (s) => {
      seen.push(s.name);
      if (seen.length === 2) throw new Error('enough');
    },
  });
  t.throws(() => parser.push('a 1\nb 2\nc 3\n'), { message: 'enough' });
  t.deepEqual(seen, ['a', 'b']);
});

test('prometheus text: a label value of a million characters, with escapes, parses to the same string', (t) => {
  const raw = `${'x'.repeat(500_000)}"\\\n${'y'.repeat(500_000)}`;
  const { samples } = parsePrometheusText(`m{v="${escapeLabel(raw)}"} 1\n`);
  t.is(samples[0]?.labels.v, raw);
});

test('prometheus text: a value of a million digits and a stray letter is SCRAPE_ERR_INVALID in linear time (the old value pattern backtracked quadratically)', (t) => {
  const t0 = performance.now();
  const err = t.throws(() => parsePrometheusText(`m ${'1'.repeat(1_000_000)}x\n`), {
    instanceOf: ScrapeError,
  });
  const ms = performance.now() - t0;
  t.is(err?.code, 'SCRAPE_ERR_INVALID');
  t.true(ms < 1000, `${Math.round(ms)} ms`);
});
