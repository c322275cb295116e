/**
 * The `gcloud run deploy` command that sets what a service spec sets, read back from the spec
 * itself: the plan prints it beside `gcloud run services replace` so a reviewer sees the
 * resources as flags, and a test holds both to the resolved configuration. The probes have no
 * such flags, which is why the deploy replaces the service from the YAML.
 */
import type { AuthMode } from '../../service/config/index.js';
import type { KnativeService } from './service-spec.js';

export interface RunDeployContext {
  readonly region: string;
  readonly project: string;
  readonly authMode: AuthMode;
}

/**
 * `--flag=a,b` for a gcloud list or map flag; when an item holds a comma, gcloud's escape
 * (`--flag=^;^a;b`, see `gcloud topic escaping`) with the first delimiter no item holds.
 */
export function gcloudList(flag: string, items: readonly string[]): string {
  const delimiter = [',', ';', '|', '@', '#', '~'].find((d) => items.every((i) => !i.includes(d)));
  if (delimiter === undefined) throw new Error(`${flag}: every delimiter occurs in the values`);
  return delimiter === ','
    ? `${flag}=${items.join(',')}`
    : `${flag}=^${delimiter}^${items.join(delimiter)}`;
}

export function runDeployArgv(spec: KnativeService, ctx: RunDeployContext): string[] {
  const template = spec.spec.template;
  const a = template.metadata.annotations;
  const pod = template.spec;
  const container = pod.containers[0];
  if (container === undefined) throw new Error('a service spec without a container');
  const mounts = new Map((container.volumeMounts ?? []).map((m) => [m.name, m.mountPath]));
  const secrets = (pod.volumes ?? []).flatMap((v) =>
    v.secret.items.map(
      (item) => `${mounts.get(v.name)}/${item.path}=${v.secret.secretName}:${item.key}`,
    ),
  );
  const envVars = container.env.map((e) => `${e.name}=${e.value}`);
  return [
    'gcloud',
    'run',
    'deploy',
    spec.metadata.name,
    `--image=${container.image}`,
    `--region=${ctx.region}`,
    `--project=${ctx.project}`,
    `--memory=${container.resources.limits.memory}`,
    `--cpu=${container.resources.limits.cpu}`,
    `--min-instances=${a['autoscaling.knative.dev/minScale']}`,
    `--max-instances=${a['autoscaling.knative.dev/maxScale']}`,
    `--concurrency=${pod.containerConcurrency}`,
    `--timeout=${pod.timeoutSeconds}`,
    `--execution-environment=${a['run.googleapis.com/execution-environment']}`,
    a['run.googleapis.com/cpu-throttling'] === 'false' ? '--no-cpu-throttling' : '--cpu-throttling',
    a['run.googleapis.com/startup-cpu-boost'] === 'true' ? '--cpu-boost' : '--no-cpu-boost',
    `--port=${container.ports[0]?.containerPort}`,
    `--service-account=${pod.serviceAccountName}`,
    `--ingress=${spec.metadata.annotations['run.googleapis.com/ingress']}`,
    gcloudList('--set-env-vars', envVars),
    ...(secrets.length === 0 ? [] : [gcloudList('--set-secrets', secrets)]),
    ctx.authMode === 'iam' ? '--no-allow-unauthenticated' : '--allow-unauthenticated',
  ];
}
