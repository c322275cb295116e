import test from 'ava';
import fc from 'fast-check';
import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import {
  familyOf,
  parsePrometheusText,
  ScrapeError,
} from '../../../alerts/sweep/prometheus-text.js';

test('prometheus text: labelled histograms keep every bucket, sum and count with their labels', (t) => {
  const text = [
    '# HELP h A histogram.',
    '# TYPE h histogram',
    'h_bucket{le="0.1",route="/a",instance="r"} 1',
    'h_bucket{le="+Inf",route="/a",instance="r"} 2',
    'h_sum{route="/a",instance="r"} 0.3',
    'h_count{route="/a",instance="r"} 2',
    'h_bucket{le="0.1",route="/b",instance="r"} 0',
    'h_bucket{le="+Inf",route="/b",instance="r"} 1',
    'h_sum{route="/b",instance="r"} 0.5',
    'h_count{route="/b",instance="r"} 1',
  ].join('\n');
  const parsed = parsePrometheusText(text);
  t.is(parsed.samples.length, 8);
  t.deepEqual(
    parsed.samples.filter((s) => s.name === 'h_count').map((s) => [s.labels.route, s.value]),
    [
      ['/a', 2],
      ['/b', 1],
    ],
  );
  t.deepEqual(parsed.samples[1]?.labels, { le: '+Inf', route: '/a', instance: 'r' });
  t.deepEqual(parsed.families.get('h'), { type: 'histogram', help: 'A histogram.' });
  t.is(familyOf(parsed, 'h_bucket'), 'h');
  t.is(familyOf(parsed, 'h_sum'), 'h');
});

test('prometheus text: escapes, special values, timestamps and comments of the format', (t) => {
  const text = [
    '# A comment that is neither HELP nor TYPE',
    '# HELP msdos_file_access_time_seconds Line one\\nline two \\\\ done',
    'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9',
    'metric_without_timestamp_and_labels 12.47',
    'something_weird{problem="division by zero"} +Inf -3982045',
    'negative -Inf',
    'not_a_number NaN',
    '',
    'trailing_comma{a="1",} 2\r',
  ].join('\n');
  const { samples, families } = parsePrometheusText(text);
  t.deepEqual(samples[0]?.labels, {
    path: 'C:\\DIR\\FILE.TXT',
    error: 'Cannot find file:\n"FILE.TXT"',
  });
  t.is(samples[0]?.value, 1.458255915e9);
  t.is(families.get('msdos_file_access_time_seconds')?.help, 'Line one\nline two \\ done');
  t.is(samples[1]?.value, 12.47);
  t.is(samples[2]?.value, Number.POSITIVE_INFINITY);
  t.is(samples[2]?.timestampMs, -3982045);
  t.is(samples[3]?.value, Number.NEGATIVE_INFINITY);
  t.true(Number.isNaN(samples[4]?.value));
  t.deepEqual(samples[5], { name: 'trailing_comma', labels: { a: '1' }, value: 2 });
});

const bad: [string, string, RegExp][] = [
  ['a value that is not a number', 'm 12abc', /line 1 .* expected a number, \+Inf, -Inf or NaN/],
  ['an unclosed label value', 'm{a="x} 1', /expected a closing quote for label a/],
  ['a label without a quoted value', 'm{a=x} 1', /expected ="<value>" after label a/],
  ['a bad escape', 'm{a="\\t"} 1', /expected an escape/],
  ['a repeated label', 'm{a="1",a="2"} 1', /expected label a only once/],
  ['no value', 'ok 1\nm{a="1"}', /line 2 .* expected a value and an optional timestamp/],
  ['an unknown type', '# TYPE m histogramm', /expected a type of counter, gauge, histogram/],
  ['a fractional timestamp', 'm 1 1.5', /expected an integer timestamp in ms/],
  ['a line that starts with a digit', '1m 1', /expected a metric name/],
];
for (const [name, text, message] of bad) {
  test(`prometheus text: ${name} is SCRAPE_ERR_INVALID naming the line`, (t) => {
    const err = t.throws(() => parsePrometheusText(text), { instanceOf: ScrapeError });
    t.is(err?.code, 'SCRAPE_ERR_INVALID');
    t.regex(err?.message ?? '', message);
  });
}

test('prometheus text: whatever prom-client writes parses back to the same values and labels (property)', async (t) => {
  const labelValue = fc.string({ maxLength: 12 });
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(labelValue, labelValue, fc.nat({ max: 1000 })), {
        minLength: 1,
        maxLength: 6,
      }),
      fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 1, maxLength: 20 }),
      async (counts, observations) => {
        const registry = new Registry();
        registry.setDefaultLabels({ instance: 'rev-0001-abcd' });
        const counter = new Counter({
          name: 'c_total',
          help: 'A "counter" \\ with\nescapes',
          labelNames: ['route', 'status'],
          registers: [registry],
        });
        const histogram = new Histogram({
          name: 'h_seconds',
          help: 'h',
          labelNames: ['route'],
          buckets: [0.5, 5, 50],
          registers: [registry],
        });
        const gauge = new Gauge({ name: 'g', help: 'g', registers: [registry] });
        const summary = new Summary({ name: 's', help: 's', registers: [registry] });
        for (const [route, status, n] of counts) counter.inc({ route, status }, n);
        for (const [i, v] of observations.entries()) {
          histogram.observe({ route: counts[i % counts.length]?.[0] ?? '' }, v);
          summary.observe(v);
        }
        gauge.set(observations[0] ?? 0);
        const parsed = parsePrometheusText(await registry.metrics());
        const expected = await registry.getMetricsAsJSON();
        for (const metric of expected) {
          for (const v of metric.values) {
            const name = 'metricName' in v && v.metricName ? v.metricName : metric.name;
            const want = { ...v.labels, instance: 'rev-0001-abcd' } as Record<string, unknown>;
            const found = parsed.samples.filter(
              (s) =>
                s.name === name &&
                Object.keys(want).length === Object.keys(s.labels).length &&
                Object.entries(want).every(([k, x]) => s.labels[k] === String(x)),
            );
            if (found.length !== 1) return false;
            const got = found[0]?.value ?? Number.NaN;
            if (!(got === v.value || (Number.isNaN(got) && Number.isNaN(v.value)))) return false;
          }
        }
        return parsed.families.get('c_total')?.help === 'A "counter" \\ with\nescapes';
      },
    ),
    { numRuns: 60 },
  );
  t.pass();
});

test('prometheus text: special values are read case-insensitively, as Prometheus does (prom-client writes NaN as Nan)', (t) => {
  const { samples } = parsePrometheusText(
    [
      'nodejs_eventloop_lag_mean_seconds{instance="r"} Nan',
      'a nan',
      'b +inf',
      'c -INF',
      'd Inf',
    ].join('\n'),
  );
  t.true(Number.isNaN(samples[0]?.value));
  t.true(Number.isNaN(samples[1]?.value));
  t.is(samples[2]?.value, Number.POSITIVE_INFINITY);
  t.is(samples[3]?.value, Number.NEGATIVE_INFINITY);
  t.is(samples[4]?.value, Number.POSITIVE_INFINITY);
});
