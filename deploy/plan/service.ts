/**
 * The image and the service, as the pipeline deploys them (cloudbuild.yaml runs these steps, in
 * this order): build and push the image; read what serves now; render the spec with the new
 * image and a `candidate` tag that gets no traffic (deploy/spec/traffic.ts); replace the service
 * with it; smoke-test the candidate's own URL with an identity token whose audience is the
 * service's run.app URL; then move all traffic to it. A first deploy has nothing serving, so its candidate takes the traffic at once.
 */
import type { ServiceConfig } from '../../service/config/index.js';
import { DEPLOY_PROFILES } from '../spec/profiles.js';
import { runDeployArgv } from '../spec/run-deploy-flags.js';
import type { KnativeService } from '../spec/service-spec.js';
import { CANDIDATE_TAG } from '../spec/traffic.js';
import { serviceUrl, taggedUrl } from '../spec/urls.js';
import { at, imageOf, WORK_DIR } from './target.js';
import type { PlanStep, PlanTarget } from './types.js';

export const SERVICE_FILES = {
  current: `${WORK_DIR}/current-service.json`,
  spec: `${WORK_DIR}/service.yaml`,
} as const;

/** The smoke test the pipeline runs against the tagged revision (its own URL). */
export const SMOKE_SCRIPT = 'deploy/plan/smoke.sh';

/** The key secret the smoke test sends X-API-Key from; empty when IAM is the only check. */
export function smokeApiKeySecret(t: PlanTarget, config: ServiceConfig): string {
  return config.auth.mode === 'api-key'
    ? (DEPLOY_PROFILES[t.environment].keySecrets.apiKeys ?? '')
    : '';
}

export function imageSteps(t: PlanTarget): PlanStep[] {
  const image = imageOf(t);
  return [
    {
      id: 'image.build',
      section: 'image',
      description: 'build the service image from the root Dockerfile, context the repository',
      argv: ['docker', 'build', '--platform=linux/amd64', '-t', image, '-f', 'Dockerfile', '.'],
    },
    {
      id: 'image.push',
      section: 'image',
      description: `push it to Artifact Registry as ${image}`,
      argv: ['docker', 'push', image],
    },
  ];
}

export function serviceSteps(
  t: PlanTarget,
  spec: KnativeService,
  config: ServiceConfig,
): PlanStep[] {
  const location = { serviceName: t.serviceName, projectNumber: t.projectNumber, region: t.region };
  return [
    {
      id: 'service.current',
      section: 'service',
      description: `record what serves now (an empty list before the first deploy) in ${SERVICE_FILES.current}`,
      argv: [
        'bash',
        '-c',
        'mkdir -p "$(dirname "$4")" && gcloud run services list --region="$1" --project="$2" --filter="metadata.name=$3" --format=json > "$4"',
        'current-service',
        t.region,
        t.project,
        t.serviceName,
        SERVICE_FILES.current,
      ],
    },
    {
      id: 'service.render',
      section: 'service',
      description: `render deploy/${t.environment}/service.yaml with the image and project, the new revision tagged ${CANDIDATE_TAG} with no traffic`,
      argv: [
        'npm',
        'run',
        'deploy:generate',
        '--',
        'service',
        '--env',
        t.environment,
        '--project',
        t.project,
        '--image',
        imageOf(t),
        '--service',
        t.serviceName,
        '--service-account',
        t.accounts.service,
        '--current-service',
        SERVICE_FILES.current,
        '--tag',
        CANDIDATE_TAG,
        '--out',
        SERVICE_FILES.spec,
      ],
    },
    {
      id: 'service.deploy',
      section: 'service',
      description: `replace the service from the spec: a new revision, tagged ${CANDIDATE_TAG}, no traffic`,
      argv: ['gcloud', 'run', 'services', 'replace', SERVICE_FILES.spec, ...at(t)],
      equivalent: runDeployArgv(spec, {
        region: t.region,
        project: t.project,
        authMode: config.auth.mode,
      }),
    },
    {
      id: 'service.smoke',
      section: 'service',
      description: `smoke-test the candidate at ${taggedUrl(CANDIDATE_TAG, location)} with an identity token for ${serviceUrl(location)} (the audience Cloud Run always accepts, for every revision): startup and readiness probes, then one /predict`,
      argv: [
        'bash',
        SMOKE_SCRIPT,
        taggedUrl(CANDIDATE_TAG, location),
        serviceUrl(location),
        t.project,
        smokeApiKeySecret(t, config),
      ],
    },
    {
      id: 'service.migrate',
      section: 'service',
      description: 'send all traffic to the latest revision, the candidate',
      argv: ['gcloud', 'run', 'services', 'update-traffic', t.serviceName, '--to-latest', ...at(t)],
    },
  ];
}
