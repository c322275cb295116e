/** Where apply's definitions come from: the committed definitions, or a resolved set as JSON. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import {
  readResolvedMonitoring,
  resolvedMonitoringFor,
} from '../../../deploy/apply/definitions.js';
import { DEPLOY_APPLY_ERR_DEFINITIONS_INVALID } from '../../../deploy/apply/errors.js';
import { monitoringContext } from '../../../deploy/monitoring/context.js';
import { resolvedFixture } from './fixtures.js';

const CONTEXT = {
  project: 'proj-defs',
  region: 'us-central1',
  environment: 'production' as const,
  serviceName: 'runwatch',
};

test('deploy apply definitions: the committed set resolves for every environment, with every kind present', (t) => {
  for (const environment of ['production', 'staging', 'development'] as const) {
    const set = resolvedMonitoringFor(monitoringContext({ ...CONTEXT, environment }));
    for (const kind of ['channels', 'logMetrics', 'sinks', 'policies'] as const) {
      t.true(set[kind].length > 0, `${environment}: no ${kind}`);
    }
    t.true(
      set.policies.every((p) => p.channelRefs.length > 0),
      `${environment}: a policy without a channel`,
    );
  }
});

function withFile(text: string, fn: (file: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'apply-defs-'));
  try {
    const file = join(dir, 'set.json');
    writeFileSync(file, text);
    fn(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('deploy apply definitions: a resolved set written as JSON reads back as it was', (t) => {
  const set = resolvedFixture('proj-defs');
  withFile(JSON.stringify(set), (file) => t.deepEqual(readResolvedMonitoring(file), set));
});

const broken = [
  ['not JSON', '{', /cannot be read as JSON/],
  ['a list', '[]', /expected an object with the keys channels, logMetrics, sinks, policies/],
  ['an unknown kind', '{"dashboards":[]}', /key \/dashboards is not a kind/],
  [
    'a resource that is not an object',
    '{"policies":[{"id":"p","file":"f","resource":[]}]}',
    /\/policies\/0\/resource is not an object/,
  ],
  [
    'channelRefs that are not ids',
    '{"policies":[{"id":"p","file":"f","resource":{},"channelRefs":[1]}]}',
    /\/policies\/0\/channelRefs is not a list of channel ids/,
  ],
] as const;

for (const [what, text, message] of broken) {
  test(`deploy apply definitions: ${what} is DEPLOY_APPLY_ERR_DEFINITIONS_INVALID naming the file`, (t) => {
    withFile(text, (file) => {
      const e = t.throws(() => readResolvedMonitoring(file));
      t.is((e as { code?: string }).code, DEPLOY_APPLY_ERR_DEFINITIONS_INVALID);
      t.true(e?.message.startsWith(`${file}: `));
      t.regex(e?.message ?? '', message);
    });
  });
}
