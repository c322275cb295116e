/**
 * The committed service specs: regenerating them changes nothing, each agrees with the
 * configuration the service itself loads from the spec's own variables on Cloud Run, and what
 * Cloud Run cannot express fails generation with its own message.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { parse } from 'yaml';
import { SpecError } from '../../../deploy/spec/errors.js';
import { DEPLOY_PROFILES, type DeployProfile } from '../../../deploy/spec/profiles.js';
import {
  COMMITTED_TARGET,
  committedServiceYaml,
  committedServiceYamls,
  committedSpecPath,
} from '../../../deploy/spec/render.js';
import { buildServiceSpec } from '../../../deploy/spec/service-spec.js';
import { leaves } from '../../../lib/config/settings.js';
import {
  ENVIRONMENTS,
  loadServiceConfig,
  PLATFORM_DRAIN_LIMIT_MS,
  SERVICE_SETTINGS,
} from '../../../service/config/index.js';

const ROOT = fileURLToPath(new URL('../../../..', import.meta.url));

// biome-ignore lint/suspicious/noExplicitAny: the parsed YAML is read field by field.
type Doc = any;
const committed = (env: string): Doc =>
  parse(readFileSync(join(ROOT, committedSpecPath(env as 'production')), 'utf8'));
const container = (doc: Doc) => doc.spec.template.spec.containers[0];

/** The configuration the service loads from the spec's own variables, as on Cloud Run. */
function configFromSpec(doc: Doc) {
  const env: Record<string, string> = { K_SERVICE: doc.metadata.name };
  for (const { name, value } of container(doc).env as { name: string; value: string }[]) {
    // A mounted key file is not here: its setting is loaded in its value form.
    if (name.endsWith('_FILE')) env[name.slice(0, -'_FILE'.length)] = 'a-stand-in-key-of-16-chars';
    else env[name] = value;
  }
  return loadServiceConfig(env).config;
}

for (const env of ENVIRONMENTS) {
  test(`deploy spec: the committed ${committedSpecPath(env)} is what generation writes, byte for byte`, (t) => {
    const text = readFileSync(join(ROOT, committedSpecPath(env)), 'utf8');
    t.is(text, committedServiceYaml(env), 'run `npm run deploy:generate` and commit the result');
  });

  test(`deploy spec: ${env} resources, scaling, concurrency and timeout are the service's resolved config`, (t) => {
    const doc = committed(env);
    const config = configFromSpec(doc);
    const r = config.resources;
    const c = container(doc);
    const annotations = doc.spec.template.metadata.annotations;
    t.is(config.platform, 'cloud-run');
    t.is(config.environment, env);
    t.is(c.resources.limits.cpu, String(r.cpuLimit));
    t.is(
      c.resources.limits.memory,
      r.memoryLimitMb % 1024 === 0 ? `${r.memoryLimitMb / 1024}Gi` : `${r.memoryLimitMb}Mi`,
    );
    t.is(annotations['autoscaling.knative.dev/minScale'], String(r.minInstances));
    t.is(annotations['autoscaling.knative.dev/maxScale'], String(r.maxInstances));
    t.is(doc.spec.template.spec.containerConcurrency, r.concurrency);
    t.is(doc.spec.template.spec.timeoutSeconds, r.timeoutSeconds);
    t.is(c.ports[0].containerPort, config.port);
    t.is(annotations['run.googleapis.com/execution-environment'], 'gen2');
    t.is(
      annotations['run.googleapis.com/cpu-throttling'],
      String(!DEPLOY_PROFILES[env].cpuAlwaysAllocated),
    );
    t.is(annotations['run.googleapis.com/startup-cpu-boost'], 'true');
  });

  test(`deploy spec: ${env} probes are within Cloud Run's limits and the liveness probe outwaits an unhealthy event loop`, (t) => {
    const doc = committed(env);
    const config = configFromSpec(doc);
    const { startupProbe: s, livenessProbe: l } = container(doc);
    t.is(s.httpGet.port, config.port);
    t.is(l.httpGet.port, config.port);
    t.true(s.timeoutSeconds >= 1 && s.timeoutSeconds <= s.periodSeconds);
    t.true(s.failureThreshold * s.periodSeconds <= 240);
    t.true(l.timeoutSeconds >= 1 && l.timeoutSeconds <= l.periodSeconds && l.periodSeconds <= 3600);
    t.true(l.timeoutSeconds * 1000 > config.health.eventLoopUnhealthyMs);
  });

  test(`deploy spec: ${env}'s drain fits inside Cloud Run's 10 s from SIGTERM to SIGKILL`, (t) => {
    const { drain } = configFromSpec(committed(env));
    const limit = PLATFORM_DRAIN_LIMIT_MS['cloud-run'] as number;
    t.true(limit < 10_000);
    t.true(drain.preCloseDelayMs + drain.timeoutMs + drain.handlersTimeoutMs < limit);
  });

  test(`deploy spec: ${env} sets no sensitive setting as a literal; each key file is a mounted secret`, (t) => {
    const doc = committed(env);
    const sensitive = new Set(
      Object.values(SERVICE_SETTINGS).flatMap((area) =>
        [...leaves(area)].filter(([, s]) => s.sensitive).map(([, s]) => s.env),
      ),
    );
    const c = container(doc);
    const vars = c.env as { name: string; value: string }[];
    t.deepEqual(
      vars.filter((v) => sensitive.has(v.name)),
      [],
    );
    const mounts = new Map(
      (c.volumeMounts as { name: string; mountPath: string }[]).map((m) => [m.mountPath, m.name]),
    );
    const volumes = new Map(
      (doc.spec.template.spec.volumes as { name: string; secret: { secretName: string } }[]).map(
        (v) => [v.name, v.secret.secretName],
      ),
    );
    const files = vars.filter((v) => v.name.endsWith('_FILE'));
    t.true(files.length > 0);
    for (const f of files) {
      const dir = f.value.slice(0, f.value.lastIndexOf('/'));
      const volume = mounts.get(dir);
      t.truthy(volume, `${f.name} is on a mounted volume`);
      t.truthy(volumes.get(volume as string), `${f.name}'s volume is a Secret Manager secret`);
    }
    t.is(mounts.size, files.length);
  });
}

test('deploy spec: production is IAM-guarded: AUTH_MODE=iam and IAM never switched off on the service', (t) => {
  const doc = committed('production');
  t.is(configFromSpec(doc).auth.mode, 'iam');
  const annotations = { ...doc.metadata.annotations, ...doc.spec.template.metadata.annotations };
  t.false('run.googleapis.com/invoker-iam-disabled' in annotations);
});

test('deploy spec: production asks for 2Gi, 2 CPUs, 1 to 10 instances, 80 requests each, 300 s', (t) => {
  const doc = committed('production');
  const c = container(doc);
  t.deepEqual(c.resources.limits, { cpu: '2', memory: '2Gi' });
  t.is(doc.spec.template.metadata.annotations['autoscaling.knative.dev/minScale'], '1');
  t.is(doc.spec.template.metadata.annotations['autoscaling.knative.dev/maxScale'], '10');
  t.is(doc.spec.template.spec.containerConcurrency, 80);
  t.is(doc.spec.template.spec.timeoutSeconds, 300);
});

test('deploy spec: the committed specs are exactly one per environment', (t) => {
  t.deepEqual(
    [...committedServiceYamls().keys()],
    [
      'deploy/production/service.yaml',
      'deploy/staging/service.yaml',
      'deploy/development/service.yaml',
    ],
  );
});

const withEnv = (env: Record<string, string>): DeployProfile => ({
  ...DEPLOY_PROFILES.staging,
  serviceEnv: { ...DEPLOY_PROFILES.staging.serviceEnv, ...env },
});

function refusal(profile: DeployProfile): SpecError {
  const e = (() => {
    try {
      buildServiceSpec(profile, COMMITTED_TARGET);
    } catch (err) {
      return err;
    }
    return null;
  })();
  if (!(e instanceof SpecError)) throw new Error(`expected a SpecError, got ${String(e)}`);
  return e;
}

const REFUSALS: readonly {
  name: string;
  env: Record<string, string>;
  code: string;
  problems: readonly string[];
}[] = [
  {
    name: 'CPU_LIMIT=3, a count Cloud Run does not offer',
    env: { CPU_LIMIT: '3' },
    code: 'SPEC_ERR_LIMIT',
    problems: ['CPU_LIMIT=3: Cloud Run offers 1, 2, 4, 6, 8 CPUs'],
  },
  {
    name: 'MEMORY_LIMIT_MB=8192 with 1 CPU',
    env: { MEMORY_LIMIT_MB: '8192', CPU_LIMIT: '1' },
    code: 'SPEC_ERR_LIMIT',
    problems: ['MEMORY_LIMIT_MB=8192: at most 4096 MiB with 1 CPU'],
  },
  {
    name: 'MEMORY_LIMIT_MB=1024 with 4 CPUs',
    env: { MEMORY_LIMIT_MB: '1024', CPU_LIMIT: '4' },
    code: 'SPEC_ERR_LIMIT',
    problems: ['MEMORY_LIMIT_MB=1024: at least 2048 MiB with 4 CPU'],
  },
  {
    name: 'an event-loop threshold that would hold a liveness probe past its period',
    env: { EVENT_LOOP_DELAY_UNHEALTHY_MS: '15000', EVENT_LOOP_DELAY_DEGRADED_MS: '200' },
    code: 'SPEC_ERR_LIMIT',
    problems: [
      'liveness probe timeoutSeconds=16 (from EVENT_LOOP_DELAY_UNHEALTHY_MS=15000): 1 to periodSeconds (10)',
    ],
  },
  {
    name: 'a drain longer than the SIGTERM window',
    env: { DRAIN_TIMEOUT_MS: '9000' },
    code: 'SPEC_ERR_CONFIG',
    problems: [
      'DRAIN_PRE_CLOSE_DELAY_MS + DRAIN_TIMEOUT_MS + SHUTDOWN_HANDLERS_TIMEOUT_MS="0 + 9000 + 1000 = 10000": expected a sum below 9500 ms, the Cloud Run SIGTERM-to-SIGKILL window (10 s) less a margin',
    ],
  },
  {
    name: 'PORT, which Cloud Run sets',
    env: { PORT: '9090' },
    code: 'SPEC_ERR_PROFILE',
    problems: ['PORT: Cloud Run sets it itself and refuses it on a revision'],
  },
  {
    name: 'a literal API key',
    env: { API_KEYS: 'a-literal-key-of-16-chars' },
    code: 'SPEC_ERR_PROFILE',
    problems: ['API_KEYS: a key set comes from Secret Manager (keySecrets), never a literal'],
  },
  {
    name: 'a literal Redis URL (sensitive)',
    env: { RATE_LIMIT_REDIS_URL: 'redis://:pw@10.0.0.3:6379' },
    code: 'SPEC_ERR_PROFILE',
    problems: ['RATE_LIMIT_REDIS_URL: sensitive, so it comes from Secret Manager, never a literal'],
  },
  {
    name: 'a variable the service does not read',
    env: { TARGET_CPU_UTILIZATION: '0.7' },
    code: 'SPEC_ERR_PROFILE',
    problems: ['TARGET_CPU_UTILIZATION: not a setting of the service (docs/configuration.md)'],
  },
];

for (const r of REFUSALS) {
  test(`deploy spec: generation fails with ${r.code} on ${r.name}`, (t) => {
    const e = refusal(withEnv(r.env));
    t.is(e.code as string, r.code);
    t.deepEqual(e.problems, r.problems);
    t.true(
      e.message.startsWith(
        r.code === 'SPEC_ERR_PROFILE' ? 'deploy profile staging' : 'environment staging',
      ),
    );
  });
}
