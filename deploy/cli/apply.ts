/**
 * `npm run deploy:apply -- --env <environment> --project <id> [--dry-run]`: reconciles the
 * monitoring side of a deployed environment through the client libraries (deploy/apply/; what
 * it manages and the roles it needs: docs/deploy-apply.md), describing each resource first and
 * creating or updating only what differs, so a second run changes nothing. With `--dry-run` it
 * only describes, and prints what a run would create and update, field by field.
 *
 * Progress goes to stderr as it happens (each wait for Monitoring to see a new log metric), and
 * so does one warning when the committed policies' runbook links stay repository paths because
 * no `--runbook-base-url` was given; stdout carries the report alone.
 *
 * Exits 0 when every resource is applied (or, in a dry run, could be), 1 when any failed (its
 * row names it and the error), 2 on a usage error, 78 on a configuration problem.
 */
import { TOPOLOGY } from '../../alerts/pubsub/topology.js';
import { ConfigError, EXIT_CONFIG, formatProblem } from '../../lib/config/problems.js';
import { createApplyClients } from '../apply/clients.js';
import {
  APPLY_USAGE,
  type ApplyArgs,
  loadApplyEnv,
  parseApplyArgs,
  runbookBase,
} from '../apply/config.js';
import { readResolvedMonitoring, resolvedMonitoringFor } from '../apply/definitions.js';
import {
  DEPLOY_APPLY_EXIT_FAILED,
  DEPLOY_APPLY_EXIT_OK,
  DEPLOY_APPLY_EXIT_USAGE,
  DeployApplyError,
} from '../apply/errors.js';
import { type PreparedMonitoring, prepareMonitoring } from '../apply/prepare.js';
import { ProtoSchema } from '../apply/proto-json.js';
import { applyReportJson, renderApplyReport } from '../apply/report.js';
import { runApply } from '../apply/run.js';
import { monitoringContext } from '../monitoring/context.js';

const out = (text: string) => process.stdout.write(text);
const err = (text: string) => process.stderr.write(text);

const NO_RUNBOOK_BASE_WARNING =
  "warning: no --runbook-base-url (or DEPLOY_APPLY_RUNBOOK_BASE_URL): the alert policies' runbook links stay repository paths (docs/runbooks/<alertname>.md), which do not open from an incident";

async function definitions(args: ApplyArgs, schema: ProtoSchema): Promise<PreparedMonitoring> {
  if (args.definitionsFile !== null) {
    return prepareMonitoring(schema, readResolvedMonitoring(args.definitionsFile));
  }
  if (args.runbookBaseUrl === null) err(`${NO_RUNBOOK_BASE_WARNING}\n`);
  const context = monitoringContext({
    project: args.projectId,
    region: args.region,
    environment: args.environment,
    serviceName: args.serviceName,
  });
  return prepareMonitoring(
    schema,
    resolvedMonitoringFor(
      args.runbookBaseUrl === null ? context : { ...context, runbookBaseUrl: args.runbookBaseUrl },
    ),
  );
}

async function main(argv: readonly string[]): Promise<number> {
  let command: ReturnType<typeof parseApplyArgs>;
  try {
    command = parseApplyArgs(argv);
  } catch (e) {
    if (!(e instanceof DeployApplyError)) throw e;
    err(`${e.code}: ${e.message}\n${APPLY_USAGE}\n`);
    return DEPLOY_APPLY_EXIT_USAGE;
  }
  if ('help' in command) {
    out(`${APPLY_USAGE}\n`);
    return DEPLOY_APPLY_EXIT_OK;
  }
  const args = command;
  let env: ReturnType<typeof loadApplyEnv>;
  try {
    env = loadApplyEnv();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const p of e.problems) err(`${formatProblem(p)}\n`);
    return EXIT_CONFIG;
  }
  const schema = ProtoSchema.shipped();
  let prepared: PreparedMonitoring;
  try {
    const runbookBaseUrl =
      args.runbookBaseUrl ??
      runbookBase(
        env.runbookBaseUrl,
        args.definitionsFile ?? undefined,
        'DEPLOY_APPLY_RUNBOOK_BASE_URL',
      );
    prepared = await definitions({ ...args, runbookBaseUrl }, schema);
  } catch (e) {
    if (!(e instanceof DeployApplyError)) throw e;
    err(`${e.code}: ${e.message}\n`);
    return DEPLOY_APPLY_EXIT_FAILED;
  }
  const clients = createApplyClients({
    projectId: args.projectId,
    pubsubEmulatorHost: env.pubsubEmulatorHost,
    loggingEndpoint: args.loggingEndpoint,
    monitoringEndpoint: args.monitoringEndpoint,
  });
  try {
    const results = await runApply(clients, TOPOLOGY, prepared, {
      projectId: args.projectId,
      dryRun: args.dryRun,
      adopt: args.adopt,
      timeoutMs: args.timeoutMs,
      metricWaitMs: args.metricWaitMs ?? env.metricWaitMs,
      progress: (line) => err(`${line}\n`),
      schema,
    });
    const heading = {
      environment: args.environment,
      projectId: args.projectId,
      region: args.region,
      dryRun: args.dryRun,
    };
    out(args.json ? applyReportJson(results, heading) : renderApplyReport(results, heading));
    const failed = results.filter((r) => r.action === 'failed');
    for (const r of failed) {
      err(`${r.error?.code ?? 'failed'}: ${r.kind} ${r.id}: ${r.error?.message ?? ''}\n`);
    }
    return failed.length > 0 ? DEPLOY_APPLY_EXIT_FAILED : DEPLOY_APPLY_EXIT_OK;
  } finally {
    await clients.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
