/**
 * One apply run, in dependency order: Pub/Sub first (the topic the sink and the channel
 * publish to), then Logging (sinks, log metrics: policies may count a log metric), then
 * Monitoring (channels, then the policies that route to them). A failure is its resource's
 * row; every other resource is still applied. The policies, applied in one call, share one
 * budget for waiting on Monitoring to see the log metrics created just before (metric-wait.ts).
 */
import type { Topology } from '../../alerts/pubsub/topology.js';
import { ApiGuard } from './calls.js';
import type { ApplyClients } from './clients.js';
import type { ApplyContext } from './context.js';
import { applyLogMetrics, applySinks } from './logging.js';
import { applyChannels, applyPolicies } from './monitoring.js';
import type { PreparedMonitoring } from './prepare.js';
import { applyPubSub } from './pubsub.js';
import type { ApplyResult } from './report.js';

export async function runApply(
  clients: Omit<ApplyClients, 'close'>,
  topology: Topology,
  monitoring: PreparedMonitoring,
  ctx: ApplyContext,
): Promise<ApplyResult[]> {
  const results: ApplyResult[] = [];
  results.push(
    ...(await applyPubSub(clients.pubsub, topology, {
      projectId: ctx.projectId,
      dryRun: ctx.dryRun,
      timeoutMs: ctx.timeoutMs,
    })),
  );
  // One guard per API: once it proves unreachable, its remaining calls are not tried.
  const logging = new ApiGuard('Cloud Logging');
  const monitor = new ApiGuard('Cloud Monitoring');
  results.push(...(await applySinks(clients.sinks, monitoring.sink, ctx, logging)));
  results.push(...(await applyLogMetrics(clients.metrics, monitoring.logMetric, ctx, logging)));
  const channels = await applyChannels(clients.channels, monitoring.channel, ctx, monitor);
  results.push(...channels.results);
  results.push(
    ...(await applyPolicies(clients.policies, monitoring.policy, channels, ctx, monitor)),
  );
  return results;
}
