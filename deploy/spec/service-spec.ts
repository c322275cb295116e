/**
 * The Cloud Run service of one environment as a Knative serving.knative.dev/v1 Service, the
 * document `gcloud run services replace` takes, built from the configuration the service resolves
 * for Cloud Run (resolve.ts), the environment's profile and the deploy target. Pure: the same
 * inputs give the same object, key for key, which render.ts writes as YAML.
 *
 * | setting | where |
 * |---|---|
 * | MEMORY_LIMIT_MB, CPU_LIMIT | container resources.limits (2048 → `2Gi`) |
 * | MIN_INSTANCES, MAX_INSTANCES | template annotations autoscaling.knative.dev/minScale, maxScale |
 * | CONCURRENCY, TIMEOUT_SECONDS | template spec containerConcurrency, timeoutSeconds |
 * | PORT (the config's, 8080) | the container port, which Cloud Run passes back as PORT |
 * | probes | startupProbe, livenessProbe (probes.ts) |
 * | profile | execution environment gen2, cpu-throttling, startup-cpu-boost, key-set volumes |
 *
 * Who may call: the spec carries no IAM. Cloud Run IAM guards a service unless roles/run.invoker
 * is granted to allUsers; under AUTH_MODE=iam the plan grants it to named members only (and the
 * spec never sets run.googleapis.com/invoker-iam-disabled), under api-key the plan grants it to
 * allUsers and the service checks X-API-Key itself.
 */
import type { ServiceConfig } from '../../service/config/index.js';
import { checkCloudRunLimits } from './cloud-run-limits.js';
import { type ProbeSpec, serviceProbes } from './probes.js';
import { type DeployProfile, KEY_FILE_NAME, KEY_FILE_SETTINGS, KEY_SETS } from './profiles.js';
import { resolveService } from './resolve.js';

/** Where a spec is deployed: literal values, or the committed files' placeholders. */
export interface SpecTarget {
  readonly project: string;
  readonly image: string;
  readonly serviceAccount: string;
  /** The service's name; the profile's unless the deploy names another. */
  readonly serviceName?: string;
}

export interface TrafficTarget {
  readonly latestRevision?: boolean;
  readonly revisionName?: string;
  readonly percent: number;
  readonly tag?: string;
}

/** Every revision's traffic to the latest ready one: what a committed spec and a first deploy say. */
export const ALL_TO_LATEST: readonly TrafficTarget[] = [{ latestRevision: true, percent: 100 }];

interface HttpProbe {
  readonly httpGet: { readonly path: string; readonly port: number };
  readonly initialDelaySeconds: number;
  readonly periodSeconds: number;
  readonly timeoutSeconds: number;
  readonly failureThreshold: number;
}

export interface KnativeService {
  readonly apiVersion: 'serving.knative.dev/v1';
  readonly kind: 'Service';
  readonly metadata: {
    readonly name: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
  };
  readonly spec: {
    readonly template: {
      readonly metadata: {
        readonly labels: Readonly<Record<string, string>>;
        readonly annotations: Readonly<Record<string, string>>;
      };
      readonly spec: {
        readonly containerConcurrency: number;
        readonly timeoutSeconds: number;
        readonly serviceAccountName: string;
        readonly containers: readonly {
          readonly name: string;
          readonly image: string;
          readonly ports: readonly { readonly name: 'http1'; readonly containerPort: number }[];
          readonly env: readonly { readonly name: string; readonly value: string }[];
          readonly resources: {
            readonly limits: { readonly cpu: string; readonly memory: string };
          };
          readonly startupProbe: HttpProbe;
          readonly livenessProbe: HttpProbe;
          readonly volumeMounts?: readonly {
            readonly name: string;
            readonly mountPath: string;
            readonly readOnly: true;
          }[];
        }[];
        readonly volumes?: readonly {
          readonly name: string;
          readonly secret: {
            readonly secretName: string;
            readonly items: readonly { readonly key: 'latest'; readonly path: string }[];
          };
        }[];
      };
    };
    readonly traffic: readonly TrafficTarget[];
  };
}

export interface GeneratedSpec {
  readonly spec: KnativeService;
  readonly config: ServiceConfig;
  /** The service loader's non-fatal findings for this configuration. */
  readonly warnings: readonly string[];
}

/** MiB as Cloud Run writes it: whole GiB as `2Gi`, anything else as `1536Mi`. */
export function memoryQuantity(mb: number): string {
  return mb % 1024 === 0 ? `${mb / 1024}Gi` : `${mb}Mi`;
}

/** Key set → volume name (`api-keys`). */
const volumeName = (mountPath: string): string => mountPath.split('/').pop() as string;

function httpProbe(p: ProbeSpec, port: number): HttpProbe {
  return {
    httpGet: { path: p.path, port },
    initialDelaySeconds: p.initialDelaySeconds,
    periodSeconds: p.periodSeconds,
    timeoutSeconds: p.timeoutSeconds,
    failureThreshold: p.failureThreshold,
  };
}

/**
 * The Knative Service of `profile` deployed to `target`. Throws SPEC_ERR_PROFILE, SPEC_ERR_CONFIG
 * or SPEC_ERR_LIMIT (errors.ts) when it cannot be deployed as configured.
 */
export function buildServiceSpec(
  profile: DeployProfile,
  target: SpecTarget,
  traffic: readonly TrafficTarget[] = ALL_TO_LATEST,
): GeneratedSpec {
  const { config, warnings, env } = resolveService(profile, target.project);
  const probes = serviceProbes(config);
  checkCloudRunLimits(profile.environment, config, probes);
  const r = config.resources;
  const mounted = KEY_SETS.filter((k) => profile.keySecrets[k] !== undefined);
  const labels = { 'runwatch-environment': profile.environment };
  const spec: KnativeService = {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: {
      name: target.serviceName ?? profile.serviceName,
      labels,
      annotations: { 'run.googleapis.com/ingress': 'all' },
    },
    spec: {
      template: {
        metadata: {
          labels,
          annotations: {
            'autoscaling.knative.dev/minScale': String(r.minInstances),
            'autoscaling.knative.dev/maxScale': String(r.maxInstances),
            'run.googleapis.com/execution-environment': 'gen2',
            'run.googleapis.com/cpu-throttling': String(!profile.cpuAlwaysAllocated),
            'run.googleapis.com/startup-cpu-boost': String(profile.startupCpuBoost),
          },
        },
        spec: {
          containerConcurrency: r.concurrency,
          timeoutSeconds: r.timeoutSeconds,
          serviceAccountName: target.serviceAccount,
          containers: [
            {
              name: 'service',
              image: target.image,
              ports: [{ name: 'http1', containerPort: config.port }],
              env: env.map(([name, value]) => ({ name, value })),
              resources: {
                limits: { cpu: String(r.cpuLimit), memory: memoryQuantity(r.memoryLimitMb) },
              },
              startupProbe: httpProbe(probes.startup, config.port),
              livenessProbe: httpProbe(probes.liveness, config.port),
              ...(mounted.length === 0
                ? {}
                : {
                    volumeMounts: mounted.map((k) => ({
                      name: volumeName(KEY_FILE_SETTINGS[k].mountPath),
                      mountPath: KEY_FILE_SETTINGS[k].mountPath,
                      readOnly: true as const,
                    })),
                  }),
            },
          ],
          ...(mounted.length === 0
            ? {}
            : {
                volumes: mounted.map((k) => ({
                  name: volumeName(KEY_FILE_SETTINGS[k].mountPath),
                  secret: {
                    secretName: profile.keySecrets[k] as string,
                    items: [{ key: 'latest' as const, path: KEY_FILE_NAME }],
                  },
                })),
              }),
        },
      },
      traffic,
    },
  };
  return { spec, config, warnings };
}
