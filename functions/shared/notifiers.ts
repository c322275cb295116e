/**
 * The notifiers of one function instance, one per distinct integration, built on first use and
 * kept (the Pub/Sub client holds channels; the webhook notifier holds nothing). A webhook URL is
 * resolved from its secret reference at every send, whole, by the notifier
 * (alerts/notifiers/url-secret.ts), so a rotated secret is picked up by the next delivery.
 *
 * With Pub/Sub off (ALERTS_PUBSUB), a `pubsub` integration has no topic to publish to: its
 * deliveries fail for good with NOTIFY_ERR_DISABLED, visible in the outbox, rather than pretend.
 */
import type { IntegrationConfig, Notifier } from '../../alerts/engine/types.js';
import { NOTIFY_ERR_DISABLED, NotifyError } from '../../alerts/notifiers/errors.js';
import { createLogNotifier } from '../../alerts/notifiers/log.js';
import { createPubSubNotifier, type PubSubNotifier } from '../../alerts/notifiers/pubsub.js';
import { createWebhookNotifier } from '../../alerts/notifiers/webhook.js';
import type { Logger } from '../../lib/logger.js';
import { type FunctionsConfig, secretsEnv } from './config.js';

export interface NotifierRegistry {
  notifierFor(integration: IntegrationConfig): Notifier;
  close(): Promise<void>;
}

export function createNotifierRegistry(
  config: FunctionsConfig,
  log: Logger,
  env?: Readonly<Record<string, string | undefined>>,
): NotifierRegistry {
  const built = new Map<string, Notifier>();
  const closers: PubSubNotifier[] = [];

  const build = (integration: IntegrationConfig): Notifier => {
    switch (integration.type) {
      case 'log':
        return createLogNotifier(log);
      case 'webhook':
        return createWebhookNotifier(integration, { env: secretsEnv(env) });
      case 'pubsub': {
        if (!config.pubsub) {
          return {
            type: 'pubsub',
            async send() {
              throw new NotifyError(
                NOTIFY_ERR_DISABLED,
                `Pub/Sub is off (ALERTS_PUBSUB), so nothing is published to topic ${integration.topic}`,
                { retryable: false },
              );
            },
          };
        }
        const notifier = createPubSubNotifier({
          topic: integration.topic,
          projectId: config.projectId,
          emulatorHost: config.pubsubEmulatorHost,
          timeoutMs: config.ingest.publishTimeoutMs,
        });
        closers.push(notifier);
        return notifier;
      }
    }
  };

  return {
    notifierFor(integration) {
      const key = JSON.stringify(integration);
      let notifier = built.get(key);
      if (notifier === undefined) {
        notifier = build(integration);
        built.set(key, notifier);
      }
      return notifier;
    },
    async close() {
      await Promise.all(closers.map((c) => c.close()));
    },
  };
}
