import { readFileSync } from 'node:fs';
import test from 'ava';
import { loadTargets, TARGET_DEFAULTS, TargetError } from '../../../alerts/sweep/targets.js';

const FILE = 'alerts/definitions/targets.yaml';

test('targets: the committed alerts/definitions/targets.yaml loads, with every field', (t) => {
  const targets = loadTargets(readFileSync(FILE, 'utf8'), FILE);
  t.deepEqual(targets, [
    {
      name: 'emotion-local',
      url: 'http://127.0.0.1:8080',
      probes: { live: '/health/live', health: '/health', metrics: '/metrics' },
      timeoutMs: 2000,
      iam: false,
      adminKey: null,
      limits: { metricsBytes: 4_194_304, samples: 20_000, instances: 64 },
      slo: { availability: 0.995, latencyP95Ms: 500 },
    },
  ]);
});

test('targets: scrape limits default per target and can be set per target', (t) => {
  const [a, b] = loadTargets(
    [
      'targets:',
      '  - name: a',
      '    url: http://h',
      '  - name: b',
      '    url: http://i',
      '    limits:',
      '      metrics_bytes: 1048576',
      '      instances: 2',
    ].join('\n'),
    FILE,
  );
  t.deepEqual(a?.limits, TARGET_DEFAULTS.limits);
  t.deepEqual(b?.limits, { metricsBytes: 1_048_576, samples: 20_000, instances: 2 });
});

test('targets: an iam target may use http:// on a loopback host (the local stack), and https:// anywhere', (t) => {
  const urls = [
    'http://127.0.0.1:8080',
    'http://localhost:8080',
    'http://[::1]:8080',
    'https://a.run.app',
  ];
  const targets = loadTargets(
    `targets:\n${urls.map((u, i) => `  - name: t${i}\n    url: ${u}\n    iam: true\n`).join('')}`,
    FILE,
  );
  t.deepEqual(
    targets.map((x) => x.iam),
    [true, true, true, true],
  );
});

test('targets: SWEEP_TARGETS replaces the file, defaults fill the rest, trailing slashes go', (t) => {
  const targets = loadTargets(
    'not: [valid',
    FILE,
    JSON.stringify([
      { name: 'a', url: 'https://a.example.run.app/' },
      { name: 'b-2', url: 'http://127.0.0.1:9000' },
    ]),
  );
  t.is(targets.length, 2);
  t.is(targets[0]?.url, 'https://a.example.run.app');
  t.deepEqual(targets[1]?.probes, TARGET_DEFAULTS.probes);
  t.is(targets[1]?.timeoutMs, TARGET_DEFAULTS.timeoutMs);
});

test('targets: an empty SWEEP_TARGETS falls back to the file', (t) => {
  t.is(loadTargets(readFileSync(FILE, 'utf8'), FILE, '  ')[0]?.name, 'emotion-local');
});

test('targets: admin_key is a reference, to an environment variable or a file', (t) => {
  const targets = loadTargets(
    [
      'targets:',
      '  - {name: a, url: "https://a.run.app", admin_key: {env: INFER_ADMIN_KEY}}',
      '  - {name: b, url: "http://127.0.0.1:8080", admin_key: {file: /secrets/admin/key}}',
      '  - {name: c, url: "http://h"}',
    ].join('\n'),
    FILE,
  );
  t.deepEqual(
    targets.map((x) => x.adminKey),
    [{ env: 'INFER_ADMIN_KEY' }, { file: '/secrets/admin/key' }, null],
  );
});

const bad: { name: string; file?: string; env?: string; message: RegExp; field: string }[] = [
  {
    name: 'a target without a url',
    file: 'targets:\n  - name: x\n',
    message:
      /alerts\/definitions\/targets\.yaml: target 0 \(x\): field \/targets\/0 is an object; expected a field "url"/,
    field: '/targets/0',
  },
  {
    name: 'a timeout of 10 ms',
    file: 'targets:\n  - name: x\n    url: http://h\n    timeout_ms: 10\n',
    message: /field \/targets\/0\/timeout_ms is 10; expected must be >= 50/,
    field: '/targets/0/timeout_ms',
  },
  {
    name: 'an availability written as 99.5',
    file: 'targets:\n  - name: x\n    url: http://h\n    slo:\n      availability: 99.5\n',
    message: /field \/targets\/0\/slo\/availability is 99.5/,
    field: '/targets/0/slo/availability',
  },
  {
    name: 'a probe path without its slash',
    file: 'targets:\n  - name: x\n    url: http://h\n    probes:\n      live: health/live\n',
    message: /field \/targets\/0\/probes\/live is "health\/live"; expected a string matching \^\//,
    field: '/targets/0/probes/live',
  },
  {
    name: 'an iam target with an http:// URL off loopback (its ID token would travel in plaintext)',
    file: 'targets:\n  - name: x\n    url: http://svc.example.com\n    iam: true\n',
    message:
      /target 0 \(x\): field \/targets\/0\/url is "http:\/\/svc\.example\.com"; expected an https:\/\/ URL for an iam target \(an ID token is never sent in plaintext\), or http:\/\/ to a loopback host/,
    field: '/targets/0/url',
  },
  {
    name: 'an iam target on http://127.0.0.1.example.com (not loopback)',
    file: 'targets:\n  - name: x\n    url: http://127.0.0.1.example.com\n    iam: true\n',
    message:
      /field \/targets\/0\/url is "http:\/\/127\.0\.0\.1\.example\.com"; expected an https:\/\//,
    field: '/targets/0/url',
  },
  {
    name: 'an admin key written into the file (it must be a reference; the value is not echoed)',
    file: 'targets:\n  - name: x\n    url: https://h\n    admin_key: s3cret-admin-key\n',
    message:
      /target 0: field \/targets\/0\/admin_key is a string \(not shown\); expected a reference, \{env: VARIABLE\} or \{file: \/path\}, never the key itself in the targets file/,
    field: '/targets/0/admin_key',
  },
  {
    name: 'an admin_key with both env and file',
    file: 'targets:\n  - name: x\n    url: https://h\n    admin_key: {env: A, file: /b}\n',
    message:
      /field \/targets\/0\/admin_key is an object; expected must NOT have more than 1 properties/,
    field: '/targets/0/admin_key',
  },
  {
    name: 'an admin_key naming a variable that cannot exist',
    file: 'targets:\n  - name: x\n    url: https://h\n    admin_key: {env: "1-KEY"}\n',
    message: /field \/targets\/0\/admin_key\/env is "1-KEY"; expected a string matching/,
    field: '/targets/0/admin_key/env',
  },
  {
    name: 'a target with an admin_key on http:// off loopback (the key would travel in plaintext)',
    file: 'targets:\n  - name: x\n    url: http://svc.example.com\n    admin_key: {env: K}\n',
    message:
      /field \/targets\/0\/url is "http:\/\/svc\.example\.com"; expected an https:\/\/ URL for a target with an admin_key \(the key is never sent in plaintext\)/,
    field: '/targets/0/url',
  },
  {
    name: 'a body limit of 10 bytes',
    file: 'targets:\n  - name: x\n    url: http://h\n    limits:\n      metrics_bytes: 10\n',
    message: /field \/targets\/0\/limits\/metrics_bytes is 10; expected must be >= 1024/,
    field: '/targets/0/limits/metrics_bytes',
  },
  {
    name: 'a samples limit of 0',
    file: 'targets:\n  - name: x\n    url: http://h\n    limits:\n      samples: 0\n',
    message: /field \/targets\/0\/limits\/samples is 0; expected must be >= 1/,
    field: '/targets/0/limits/samples',
  },
  {
    name: 'a repeated name',
    file: 'targets:\n  - name: x\n    url: http://h\n  - name: x\n    url: http://i\n',
    message: /target 1: field \/1\/name is "x"; expected a name distinct from target 0/,
    field: '/1/name',
  },
  {
    name: 'invalid YAML',
    file: 'targets: [\n',
    message: /alerts\/definitions\/targets\.yaml is not valid YAML/,
    field: '/',
  },
  {
    name: 'SWEEP_TARGETS that is not JSON',
    env: '[{name: a}]',
    message: /SWEEP_TARGETS is not valid JSON .*; expected an array of \{"name", "url"\}/,
    field: 'SWEEP_TARGETS',
  },
  {
    name: 'SWEEP_TARGETS with an ftp URL',
    env: JSON.stringify([{ name: 'a', url: 'ftp://h' }]),
    message:
      /SWEEP_TARGETS: target 0 \(a\): field \/0\/url is "ftp:\/\/h"; expected a string matching/,
    field: '/0/url',
  },
  {
    name: 'SWEEP_TARGETS with a field the short form lacks',
    env: JSON.stringify([{ name: 'a', url: 'http://h', iam: true }]),
    message: /SWEEP_TARGETS: target 0 \(a\): field \/0 is an object; expected no field "iam"/,
    field: '/0',
  },
];

for (const b of bad) {
  test(`targets: ${b.name} is TARGET_ERR_INVALID naming the field`, (t) => {
    const err = t.throws(() => loadTargets(b.file ?? 'targets: []', FILE, b.env), {
      instanceOf: TargetError,
    });
    t.is(err?.code, 'TARGET_ERR_INVALID');
    t.regex(err?.message ?? '', b.message);
    t.is(err?.field, b.field);
  });
}
