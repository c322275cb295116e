/**
 * The proto types each kind of definition is checked against, loaded from the protobufjs JSON
 * the Google client libraries ship (gcp-formats.md §9): google.monitoring.v3.AlertPolicy and
 * NotificationChannel from @google-cloud/monitoring, google.logging.v2.LogMetric and LogSink from
 * @google-cloud/logging-api (what @google-cloud/logging itself uses). The files are read once per
 * process, on first use, and never change.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import protobuf from 'protobufjs';
import type { MonitoringKind } from './types.js';

const require = createRequire(import.meta.url);

export const PROTO_SOURCES = {
  monitoring: '@google-cloud/monitoring/build/protos/protos.json',
  logging: '@google-cloud/logging-api/build/protos/protos.json',
} as const;

/** Which message each kind is, and which package ships it. */
export const RESOURCE_PROTOS: Readonly<
  Record<MonitoringKind, { readonly source: keyof typeof PROTO_SOURCES; readonly type: string }>
> = {
  channels: { source: 'monitoring', type: 'google.monitoring.v3.NotificationChannel' },
  logMetrics: { source: 'logging', type: 'google.logging.v2.LogMetric' },
  sinks: { source: 'logging', type: 'google.logging.v2.LogSink' },
  policies: { source: 'monitoring', type: 'google.monitoring.v3.AlertPolicy' },
};

let loaded: Readonly<Record<MonitoringKind, protobuf.Type>> | undefined;

function loadRoot(source: keyof typeof PROTO_SOURCES): protobuf.Root {
  const json = JSON.parse(readFileSync(require.resolve(PROTO_SOURCES[source]), 'utf8'));
  const root = protobuf.Root.fromJSON(json);
  root.resolveAll();
  return root;
}

/** The message type of each kind, every field resolved. */
export function resourceTypes(): Readonly<Record<MonitoringKind, protobuf.Type>> {
  if (loaded === undefined) {
    const roots = { monitoring: loadRoot('monitoring'), logging: loadRoot('logging') };
    loaded = {
      channels: roots.monitoring.lookupType(RESOURCE_PROTOS.channels.type),
      logMetrics: roots.logging.lookupType(RESOURCE_PROTOS.logMetrics.type),
      sinks: roots.logging.lookupType(RESOURCE_PROTOS.sinks.type),
      policies: roots.monitoring.lookupType(RESOURCE_PROTOS.policies.type),
    };
  }
  return loaded;
}
