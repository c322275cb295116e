/**
 * `packageDeployable` on the repository's own build: what lands in a deploy directory, and what
 * its package.json and package-lock.json say. (test/deploy/package/function-install.process.test.ts
 * installs one and serves from it.)
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { parsePackageArgs } from '../../../deploy/package/args.js';
import { DEPLOYABLES, deployableNamed, SERVICE } from '../../../deploy/package/deployables.js';
import { PackageError } from '../../../deploy/package/errors.js';
import type { Lockfile } from '../../../deploy/package/lock-subset.js';
import { packageDeployable, packageNameOf } from '../../../deploy/package/package.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const rootLock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as Lockfile;
const rootManifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  engines: { node: string };
  dependencies: Record<string, string>;
};

const out = mkdtempSync(join(tmpdir(), 'runwatch-package-'));
test.after.always(() => rmSync(out, { recursive: true, force: true }));

interface Manifest {
  name: string;
  version: string;
  type: string;
  engines: Record<string, string>;
  main: string;
  scripts: { start: string };
  allowScripts?: Record<string, boolean>;
  dependencies: Record<string, string>;
}
const read = <T>(path: string) => JSON.parse(readFileSync(path, 'utf8')) as T;

test('deploy:package alertTick: the functions source with its PostgreSQL store and definitions, no SQLite store, started by the Functions Framework', (t) => {
  const fn = deployableNamed('alertTick');
  if (fn === undefined) return t.fail('no alertTick');
  const p = packageDeployable(fn, { root: ROOT, out });
  const m = read<Manifest>(join(p.dir, 'package.json'));
  t.is(m.name, 'runwatch-alert-tick');
  t.is(m.version, rootManifest.version);
  t.is(m.type, 'module');
  t.deepEqual(m.engines, { node: rootManifest.engines.node });
  t.is(m.main, 'build/functions/index.js');
  t.is(m.scripts.start, 'functions-framework --target=alertTick');
  t.true('pg' in m.dependencies && '@google-cloud/functions-framework' in m.dependencies);
  for (const absent of ['better-sqlite3', 'onnxruntime-node', 'fastify', 'typescript'])
    t.false(absent in m.dependencies, absent);
  for (const [name, range] of Object.entries(m.dependencies))
    t.is(range as string | undefined, rootManifest.dependencies[name], name);
  t.true(existsSync(join(p.dir, 'build/functions/index.js')));
  t.true(existsSync(join(p.dir, 'build/alerts/store/postgres.js')));
  t.false(existsSync(join(p.dir, 'build/alerts/store/sqlite.js')));
  t.false(existsSync(join(p.dir, 'build/service')));
  t.true(existsSync(join(p.dir, 'alerts/definitions/alerting.yaml')));
  t.true(existsSync(join(p.dir, 'alerts/definitions/trend-rules')));
  t.false(existsSync(join(p.dir, 'models')));
});

test('deploy:package alertTick: its lock is the slice of the root lock its dependencies reach, versions and integrity unchanged', (t) => {
  const fn = deployableNamed('alertTick');
  if (fn === undefined) return t.fail('no alertTick');
  const p = packageDeployable(fn, { root: ROOT, out });
  const lock = read<Lockfile>(join(p.dir, 'package-lock.json'));
  const m = read<Manifest>(join(p.dir, 'package.json'));
  t.deepEqual(lock.packages['']?.dependencies, m.dependencies);
  t.is(lock.name, m.name);
  const locations = Object.keys(lock.packages).filter((l) => l !== '');
  t.is(locations.length, p.lockedPackages);
  for (const l of locations) {
    t.is(lock.packages[l]?.version, rootLock.packages[l]?.version, l);
    t.is(lock.packages[l]?.integrity, rootLock.packages[l]?.integrity, l);
    t.not(lock.packages[l]?.dev, true, l);
  }
  for (const absent of ['better-sqlite3', 'onnxruntime-node', 'typescript', 'ava'])
    t.false(locations.includes(`node_modules/${absent}`), absent);
});

test('deploy:package service: the service, the default model and onnxruntime-node (its script off); no store, no Functions Framework', (t) => {
  const p = packageDeployable(SERVICE, { root: ROOT, out });
  const m = read<Manifest>(join(p.dir, 'package.json'));
  t.is(m.main, 'build/service/main.js');
  t.is(m.scripts.start, 'node build/service/main.js');
  t.true('onnxruntime-node' in m.dependencies && 'fastify' in m.dependencies);
  for (const absent of [
    'better-sqlite3',
    'pg',
    '@google-cloud/functions-framework',
    '@google-cloud/pubsub',
  ])
    t.false(absent in m.dependencies, absent);
  t.is(m.allowScripts?.['onnxruntime-node'], false);
  t.true(existsSync(join(p.dir, 'models/emotion-ekman/model.onnx')));
  t.true(existsSync(join(p.dir, 'models/emotion-ekman/model.json')));
  t.false(existsSync(join(p.dir, 'build/functions')));
  t.false(existsSync(join(p.dir, 'alerts')));
});

test('deploy:package: a deployable reaching a package it forbids is PACKAGE_ERR_FORBIDDEN naming the importer', (t) => {
  const fn = deployableNamed('alertIngest');
  if (fn === undefined) return t.fail('no alertIngest');
  const e = t.throws(
    () => packageDeployable({ ...fn, forbid: { pg: 'a test forbids it' } }, { root: ROOT, out }),
    { instanceOf: PackageError },
  );
  t.is(e?.code, 'PACKAGE_ERR_FORBIDDEN');
  t.is(
    e?.message,
    'alertIngest: build/alerts/store/postgres.js imports pg, which this deployable must not carry (a test forbids it): expected it imported only from modules the deployable omits',
  );
});

test('deploy:package: a missing data directory is PACKAGE_ERR_DATA_MISSING naming it', (t) => {
  const e = t.throws(
    () => packageDeployable({ ...SERVICE, data: ['models/none'] }, { root: ROOT, out }),
    { instanceOf: PackageError },
  );
  t.is(e?.code, 'PACKAGE_ERR_DATA_MISSING');
  t.regex(e?.message ?? '', /^service: data models\/none does not exist/);
});

test('deploy:package: every function target is a deployable of the same source, started with its own --target', (t) => {
  t.deepEqual(
    DEPLOYABLES.map((d) => d.name),
    ['service', 'healthSweep', 'healthSweepEvent', 'alertIngest', 'alertTick'],
  );
  for (const d of DEPLOYABLES.filter((d) => d.kind === 'function')) {
    t.deepEqual(d.entries, ['build/functions/index.js']);
    t.is(d.start, `functions-framework --target=${d.name}`);
  }
  t.is(packageNameOf('runwatch', 'healthSweepEvent'), 'runwatch-health-sweep-event');
});

test('deploy:package args: --out in either spelling, names in order without repeats; none means all', (t) => {
  t.deepEqual(parsePackageArgs([]).deployables, DEPLOYABLES);
  t.is(parsePackageArgs([]).out, 'build/packages');
  const a = parsePackageArgs(['--out', '/tmp/x', 'alertTick', 'service', 'alertTick']);
  t.is(a.out, '/tmp/x');
  t.deepEqual(
    a.deployables.map((d) => d.name),
    ['alertTick', 'service'],
  );
  t.is(parsePackageArgs(['--out=dir']).out, 'dir');
});

test('deploy:package args: an unknown name or option, or --out without a value, is PACKAGE_ERR_USAGE listing the deployables', (t) => {
  for (const argv of [['nope'], ['--force'], ['--out']]) {
    const e = t.throws(() => parsePackageArgs(argv), { instanceOf: PackageError });
    t.is(e?.code, 'PACKAGE_ERR_USAGE');
    t.regex(
      e?.message ?? '',
      /usage: npm run deploy:package -- \[--out DIR\] \[service\|healthSweep\|healthSweepEvent\|alertIngest\|alertTick\.\.\.\]$/,
    );
  }
});
