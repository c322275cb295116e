/**
 * The Cloud Scheduler jobs (gcp-formats.md §8): `health-sweep` calls healthSweep and `alert-tick`
 * calls alertTick, both every minute (Scheduler's floor) over HTTP with an OIDC token of the
 * invoker account for the function's URL. A sweep that is retried keeps its job name and schedule
 * time, so the function answers it as a duplicate; a tick is not retried, since the next one does
 * the same work. Each attempt may last as long as the function's timeout, and a little more.
 */
import { functionUrl } from '../spec/urls.js';
import { type FunctionDeployment, functionDeployments, JOBS } from './functions.js';
import type { PlanStep, PlanTarget } from './types.js';

export const SCHEDULE = '* * * * *';

interface Job {
  readonly name: string;
  readonly entryPoint: string;
  readonly retries: number;
}

const SCHEDULED: readonly Job[] = [
  { name: JOBS.sweep, entryPoint: 'healthSweep', retries: 1 },
  { name: JOBS.tick, entryPoint: 'alertTick', retries: 0 },
];

function flags(job: Job, f: FunctionDeployment, t: PlanTarget): string[] {
  const url = functionUrl(f.name, t.region, t.project);
  return [
    job.name,
    `--location=${t.region}`,
    `--project=${t.project}`,
    `--schedule=${SCHEDULE}`,
    '--time-zone=Etc/UTC',
    `--uri=${url}`,
    '--http-method=POST',
    `--oidc-service-account-email=${t.accounts.invoker}`,
    `--oidc-token-audience=${url}`,
    `--attempt-deadline=${f.timeoutSeconds + 10}s`,
    `--max-retry-attempts=${job.retries}`,
    '--min-backoff=10s',
    '--max-backoff=60s',
  ];
}

export function schedulerSteps(t: PlanTarget): PlanStep[] {
  const fns = functionDeployments(t);
  return SCHEDULED.map((job) => {
    const f = fns.find((x) => x.entryPoint === job.entryPoint);
    if (f === undefined) throw new Error(`no function ${job.entryPoint} to schedule`);
    return {
      id: `scheduler.${job.name}`,
      section: 'scheduler',
      description: `${job.name}: POST ${f.entryPoint} every minute with an OIDC token of ${t.accounts.invoker}`,
      argv: ['gcloud', 'scheduler', 'jobs', 'create', 'http', ...flags(job, f, t)],
      exists: [
        'gcloud',
        'scheduler',
        'jobs',
        'describe',
        job.name,
        `--location=${t.region}`,
        `--project=${t.project}`,
      ],
      update: ['gcloud', 'scheduler', 'jobs', 'update', 'http', ...flags(job, f, t)],
    };
  });
}
