/**
 * The plumbing of the local gRPC test doubles for Google APIs that cannot run here (Cloud
 * Logging's config and metrics services, Cloud Monitoring's alert policies and notification
 * channels): a real @grpc/grpc-js server on 127.0.0.1, port 0, plaintext, built from the .proto
 * files the client libraries ship, so the real clients' calls arrive encoded exactly as they
 * would at Google. Each double keeps its resources in memory; this module adds what every one
 * needs: a record of each call, faults injected per method and request, and the client options
 * that point a real client at it.
 *
 * Client options (verified with google-gax 5.0.8, @grpc/grpc-js 1.14.7): `apiEndpoint` and
 * `port` name the server and `sslCreds: grpc.credentials.createInsecure()` makes the channel
 * plaintext; with `sslCreds` given, gax asks the auth library for nothing, so no credentials
 * and no metadata server are needed.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** A gRPC failure a double answers with: a status code and the message the API would give. */
export class GrpcFault extends Error {
  constructor(
    readonly code: grpc.status,
    readonly details: string,
  ) {
    super(details);
  }
}

export type Json = Record<string, unknown>;

export interface RecordedCall {
  readonly method: string;
  /** The request as the server decoded it (camelCase, enums as names, 64-bit integers as strings). */
  readonly request: Json;
}

export interface Fault {
  /** The RPC's method name in lowerCamelCase, as the service definition lists it: `createSink`. */
  readonly method: string;
  /** Only requests this matches; every request of the method when absent. */
  readonly when?: (request: Json) => boolean;
  readonly code: grpc.status;
  readonly details: string;
}

export interface GrpcDouble {
  /** `127.0.0.1:<port>`. */
  readonly host: string;
  readonly port: number;
  /** Every call received, in order. */
  readonly calls: RecordedCall[];
  /** Answers the matching calls with `fault` from now on. */
  inject(fault: Fault): void;
  /** Options that point a real gax client at this server. */
  clientOptions(): {
    apiEndpoint: string;
    port: number;
    sslCreds: grpc.ChannelCredentials;
  };
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);
const packageDir = (pkg: string) => dirname(dirname(dirname(require.resolve(pkg))));

/** The .proto files the doubles serve, with the include paths their imports need. */
export const PROTO_FILES = [
  'google/logging/v2/logging_config.proto',
  'google/logging/v2/logging_metrics.proto',
  'google/monitoring/v3/alert_service.proto',
  'google/monitoring/v3/notification_service.proto',
] as const;

function includeDirs(): string[] {
  const monitoring = packageDir('@google-cloud/monitoring');
  // google/api, google/protobuf, google/rpc and google/type come with google-gax, which the
  // client libraries depend on; it is resolved from theirs.
  const gax = dirname(
    dirname(dirname(createRequire(join(monitoring, 'package.json')).resolve('google-gax'))),
  );
  return [
    join(gax, 'build', 'protos'),
    join(packageDir('@google-cloud/logging-api'), 'build', 'protos'),
    join(monitoring, 'build', 'protos'),
  ];
}

/** The gRPC package of every served proto (`google.logging.v2.ConfigServiceV2`, ...). */
export function loadServices(): grpc.GrpcObject {
  const definition = protoLoader.loadSync([...PROTO_FILES], {
    keepCase: false,
    longs: String,
    enums: String,
    defaults: false,
    oneofs: false,
    includeDirs: includeDirs(),
  });
  return grpc.loadPackageDefinition(definition);
}

/** Looks up `google.logging.v2.ConfigServiceV2` in a loaded package. */
export function serviceAt(pkg: grpc.GrpcObject, path: string): grpc.ServiceDefinition {
  let node: unknown = pkg;
  for (const part of path.split('.')) node = (node as Record<string, unknown>)[part];
  const service = (node as { service?: grpc.ServiceDefinition } | undefined)?.service;
  if (service === undefined) throw new Error(`no gRPC service ${path} in the loaded protos`);
  return service;
}

export type Handlers = Readonly<Record<string, (request: Json) => Json>>;

/**
 * Serves `services` (each a service path and its handlers by method name). A handler returns the
 * response or throws a GrpcFault; anything else it throws is INTERNAL, with its message.
 */
export async function startGrpcDouble(
  services: readonly { readonly path: string; readonly handlers: Handlers }[],
): Promise<GrpcDouble> {
  const pkg = loadServices();
  const server = new grpc.Server();
  const calls: RecordedCall[] = [];
  const faults: Fault[] = [];
  for (const { path, handlers } of services) {
    const impl: grpc.UntypedServiceImplementation = {};
    for (const [method, handle] of Object.entries(handlers)) {
      impl[method] = (
        call: grpc.ServerUnaryCall<Json, Json>,
        callback: grpc.sendUnaryData<Json>,
      ) => {
        const request = structuredClone(call.request);
        calls.push({ method, request });
        const fault = faults.find((f) => f.method === method && (f.when?.(request) ?? true));
        if (fault !== undefined) {
          callback({ code: fault.code, details: fault.details });
          return;
        }
        try {
          callback(null, handle(request));
        } catch (e) {
          if (e instanceof GrpcFault) callback({ code: e.code, details: e.details });
          else callback({ code: grpc.status.INTERNAL, details: String(e) });
        }
      };
    }
    server.addService(serviceAt(pkg, path), impl);
  }
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    );
  });
  return {
    host: `127.0.0.1:${port}`,
    port,
    calls,
    inject(fault) {
      faults.push(fault);
    },
    clientOptions: () => ({
      apiEndpoint: '127.0.0.1',
      port,
      sslCreds: grpc.credentials.createInsecure(),
    }),
    stop: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        // Clients that keep a channel open would hold tryShutdown: cut them after a grace period.
        setTimeout(() => server.forceShutdown(), 500).unref();
      }),
  };
}

/** A protobuf Timestamp of now, as the server encodes one. */
export function timestampNow(): Json {
  const ms = Date.now();
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}

/** Reads a resource name against `pattern`, or answers INVALID_ARGUMENT naming `what`. */
export function parseName(name: unknown, pattern: RegExp, what: string): RegExpExecArray {
  const m = typeof name === 'string' ? pattern.exec(name) : null;
  if (m === null) {
    throw new GrpcFault(
      grpc.status.INVALID_ARGUMENT,
      `Invalid ${what}: ${JSON.stringify(name ?? '')}`,
    );
  }
  return m;
}

/** One page of `items` from `pageToken` (an offset this double issued). */
export function page<T>(
  items: readonly T[],
  request: Json,
  defaultSize: number,
): { items: T[]; nextPageToken: string } {
  const size = Number(request.pageSize ?? 0) || defaultSize;
  const token = typeof request.pageToken === 'string' ? request.pageToken : '';
  const start = token === '' ? 0 : Number(Buffer.from(token, 'base64url').toString());
  if (!Number.isInteger(start) || start < 0 || start > items.length) {
    throw new GrpcFault(grpc.status.INVALID_ARGUMENT, `Invalid page token: ${token}`);
  }
  const end = Math.min(items.length, start + size);
  return {
    items: items.slice(start, end),
    nextPageToken: end < items.length ? Buffer.from(String(end)).toString('base64url') : '',
  };
}

const snakeToCamel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * Copies the field at the update-mask `path` (snake_case, dotted) from `source` into `target`:
 * a field the source leaves out is cleared, as the APIs do.
 */
export function copyMaskPath(target: Json, source: Json, path: string): void {
  const parts = path.split('.').map(snakeToCamel);
  let to = target;
  let from: Json | undefined = source;
  for (const part of parts.slice(0, -1)) {
    const next = (to[part] ?? {}) as Json;
    to[part] = next;
    to = next;
    from = from?.[part] as Json | undefined;
  }
  const last = parts[parts.length - 1] as string;
  const value = from?.[last];
  if (value === undefined) delete to[last];
  else to[last] = structuredClone(value);
}

/** The top-level field (camelCase) an update-mask path starts with. */
export const maskField = (path: string): string => snakeToCamel(path.split('.')[0] ?? '');
