/**
 * The probe paths of every committed spec exist in the service and answer 200 once it is ready:
 * the real app (buildApp, the tiny model) is built with the spec's own variables, as on Cloud
 * Run, and each probe's path is requested over a real socket.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { parse } from 'yaml';
import { committedSpecPath } from '../../../deploy/spec/render.js';
import { ENVIRONMENTS } from '../../../service/config/index.js';
import { buildTestApp } from '../../helpers/test-app.js';

const ROOT = fileURLToPath(new URL('../../../..', import.meta.url));

for (const env of ENVIRONMENTS) {
  test(`deploy spec: ${env}'s startup and liveness probe paths answer 200 from the real service`, async (t) => {
    const doc = parse(readFileSync(join(ROOT, committedSpecPath(env)), 'utf8'));
    const c = doc.spec.template.spec.containers[0];
    const vars: Record<string, string> = { K_SERVICE: doc.metadata.name };
    for (const { name, value } of c.env as { name: string; value: string }[]) {
      if (name.endsWith('_FILE'))
        vars[name.slice(0, -'_FILE'.length)] = 'a-stand-in-key-of-16-chars';
      else vars[name] = value;
    }
    const built = await buildTestApp(vars);
    t.teardown(() => built.app.close());
    t.is(built.config.platform, 'cloud-run');
    for (const probe of [c.startupProbe, c.livenessProbe]) {
      const reply = await built.http({ url: probe.httpGet.path });
      t.is(reply.statusCode, 200, `${probe.httpGet.path} answers ${reply.statusCode}`);
    }
    const missing = await built.http({ url: `${c.startupProbe.httpGet.path}-not-a-route` });
    t.is(missing.statusCode, 404);
  });
}

test('deploy spec: the startup probe path answers 503 while the model is still loading', async (t) => {
  const doc = parse(readFileSync(join(ROOT, committedSpecPath('production')), 'utf8'));
  const path = doc.spec.template.spec.containers[0].startupProbe.httpGet.path;
  const built = await buildTestApp({}, undefined, { loaded: false });
  t.teardown(() => built.app.close());
  t.is((await built.http({ url: path })).statusCode, 503);
});
