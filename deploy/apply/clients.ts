/**
 * The client libraries apply calls, pointed at Google (their default endpoints, the
 * application default credentials) or, for tests, at plaintext stand-ins: the Pub/Sub emulator
 * (`emulatorMode`) and local gRPC servers for Logging and Monitoring. For those, the gax
 * options `apiEndpoint` + `port` name the server and `sslCreds: credentials.createInsecure()`
 * makes the channel plaintext; with `sslCreds` given, gax (5.0.8) asks the auth library for
 * nothing, so no credentials or metadata server are involved.
 */

import { ConfigServiceV2Client, MetricsServiceV2Client } from '@google-cloud/logging-api';
import {
  AlertPolicyServiceClient,
  NotificationChannelServiceClient,
} from '@google-cloud/monitoring';
import { PubSub } from '@google-cloud/pubsub';
import grpc from '@grpc/grpc-js';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface ClientTargets {
  readonly projectId: string;
  /** host:port of a Pub/Sub emulator; undefined: Google. */
  readonly pubsubEmulatorHost: string | undefined;
  /** A plaintext Logging endpoint without credentials; null: Google. */
  readonly loggingEndpoint: HostPort | null;
  /** A plaintext Monitoring endpoint without credentials; null: Google. */
  readonly monitoringEndpoint: HostPort | null;
}

export interface ApplyClients {
  readonly pubsub: PubSub;
  readonly sinks: ConfigServiceV2Client;
  readonly metrics: MetricsServiceV2Client;
  readonly channels: NotificationChannelServiceClient;
  readonly policies: AlertPolicyServiceClient;
  close(): Promise<void>;
}

function gaxOptions(projectId: string, endpoint: HostPort | null) {
  return endpoint === null
    ? { projectId }
    : {
        projectId,
        apiEndpoint: endpoint.host,
        port: endpoint.port,
        sslCreds: grpc.credentials.createInsecure(),
      };
}

export function createApplyClients(targets: ClientTargets): ApplyClients {
  const logging = gaxOptions(targets.projectId, targets.loggingEndpoint);
  const monitoring = gaxOptions(targets.projectId, targets.monitoringEndpoint);
  const clients = {
    pubsub: new PubSub({
      projectId: targets.projectId,
      ...(targets.pubsubEmulatorHost === undefined
        ? {}
        : { apiEndpoint: targets.pubsubEmulatorHost, emulatorMode: true }),
    }),
    sinks: new ConfigServiceV2Client(logging),
    metrics: new MetricsServiceV2Client(logging),
    channels: new NotificationChannelServiceClient(monitoring),
    policies: new AlertPolicyServiceClient(monitoring),
  };
  return {
    ...clients,
    async close() {
      await Promise.allSettled([
        clients.pubsub.close(),
        clients.sinks.close(),
        clients.metrics.close(),
        clients.channels.close(),
        clients.policies.close(),
      ]);
    },
  };
}
