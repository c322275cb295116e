/**
 * One environment's deploy plan: every step from an empty project to a serving deployment, in
 * order, built from the same sources the deployables load (the service's resolved configuration
 * through deploy/spec, the functions' settings, the Pub/Sub topology, the resolved monitoring
 * definitions). Pure: it reads no environment and runs nothing.
 */
import { TOPICS } from '../../alerts/pubsub/topology.js';
import { DEPLOY_PROFILES } from '../spec/profiles.js';
import { buildServiceSpec } from '../spec/service-spec.js';
import { pubsubApplySteps } from './apply.js';
import { deployerSteps } from './deployer.js';
import { functionSteps } from './functions.js';
import { functionInvokerSteps, pubsubGrantSteps, serviceInvokerSteps } from './iam.js';
import { channelGrantSteps, channelTopics, monitoringSteps, sinkGrantSteps } from './monitoring.js';
import type { MonitoringSource } from './monitoring-source.js';
import { schedulerSteps } from './scheduler.js';
import { imageSteps, serviceSteps, smokeApiKeySecret } from './service.js';
import { setupSteps } from './setup.js';
import { imageOf } from './target.js';
import { type Plan, type PlanTarget, SECTIONS } from './types.js';

export function buildPlan(target: PlanTarget, monitoring: MonitoringSource): Plan {
  const { spec, config, warnings } = buildServiceSpec(DEPLOY_PROFILES[target.environment], {
    project: target.project,
    image: imageOf(target),
    serviceAccount: target.accounts.service,
    serviceName: target.serviceName,
  });
  const channelTopicsToGrant = [
    ...new Set([
      TOPICS.ingest,
      ...(monitoring.available ? channelTopics(monitoring.resolved) : []),
    ]),
  ];
  const steps = [
    ...setupSteps(target),
    ...deployerSteps(target, smokeApiKeySecret(target, config)),
    ...imageSteps(target),
    ...serviceSteps(target, spec, config),
    ...functionSteps(target),
    ...pubsubApplySteps(target),
    ...(monitoring.available ? monitoringSteps(monitoring.resolved, target) : []),
    ...serviceInvokerSteps(target, config.auth.mode),
    ...functionInvokerSteps(target),
    ...pubsubGrantSteps(target),
    ...channelGrantSteps(channelTopicsToGrant, target),
    ...(monitoring.available ? sinkGrantSteps(monitoring.resolved, target) : []),
    ...schedulerSteps(target),
  ];
  // Sections are listed in order; a step out of its section's place is a bug here, not a choice.
  const order = steps.map((s) => SECTIONS.indexOf(s.section));
  if (order.some((o, i) => i > 0 && o < (order[i - 1] as number))) {
    throw new Error('deploy plan: steps out of section order');
  }
  const ids = new Set<string>();
  for (const s of steps) {
    if (ids.has(s.id)) throw new Error(`deploy plan: step id ${s.id} twice`);
    ids.add(s.id);
  }
  return {
    target,
    steps,
    notes: [
      ...warnings.map((w) => `the service's configuration warns: ${w}`),
      ...(monitoring.available ? [] : [monitoring.reason]),
    ],
    monitoring: monitoring.available
      ? { available: true }
      : { available: false, reason: monitoring.reason },
  };
}
