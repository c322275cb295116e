/**
 * Stand-ins for the Pub/Sub service where the real one cannot run (no emulator can be installed
 * here): the real @google-cloud/pubsub client is pointed at them through PUBSUB_EMULATOR_HOST.
 *
 * - `startPublisherServer`: a gRPC server speaking google.pubsub.v1.Publisher (loaded from the
 *   client package's own pubsub.proto) whose Publish records each request and answers message
 *   ids; every other method is UNIMPLEMENTED.
 * - `startBlackHole`: a TCP server that accepts connections and never sends a byte, like a
 *   host whose gRPC endpoint hangs.
 */
import { createRequire } from 'node:module';
import net from 'node:net';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const require = createRequire(import.meta.url);

export interface PublishedMessage {
  readonly topic: string;
  readonly data: Buffer;
  readonly attributes: Record<string, string>;
}

export interface PublisherServer {
  readonly host: string;
  readonly messages: PublishedMessage[];
  close(): Promise<void>;
}

function packageDir(name: string): string {
  return dirname(require.resolve(`${name}/package.json`));
}

export async function startPublisherServer(): Promise<PublisherServer> {
  const definition = protoLoader.loadSync('google/pubsub/v1/pubsub.proto', {
    includeDirs: [
      join(packageDir('@google-cloud/pubsub'), 'build/protos'),
      join(dirname(require.resolve('google-gax')), '../../build/protos'),
    ],
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    google: { pubsub: { v1: { Publisher: { service: grpc.ServiceDefinition } } } };
  };
  const messages: PublishedMessage[] = [];
  let next = 1;
  const server = new grpc.Server();
  server.addService(loaded.google.pubsub.v1.Publisher.service, {
    publish(
      call: grpc.ServerUnaryCall<
        { topic: string; messages: { data: Buffer; attributes: Record<string, string> }[] },
        { messageIds: string[] }
      >,
      callback: grpc.sendUnaryData<{ messageIds: string[] }>,
    ) {
      const messageIds = call.request.messages.map((m) => {
        messages.push({ topic: call.request.topic, data: m.data, attributes: m.attributes });
        return String(next++);
      });
      callback(null, { messageIds });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return {
    host: `127.0.0.1:${port}`,
    messages,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        setTimeout(() => server.forceShutdown(), 500).unref();
      }),
  };
}

export interface BlackHole {
  readonly host: string;
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

export async function startBlackHole(): Promise<BlackHole> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    // Reads whatever the client sends and never answers.
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    connections: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
