/**
 * A TCP server that accepts connections and never sends a byte: a host whose endpoint hangs (a
 * Pub/Sub host that never answers, say), which no real service can be made to do on demand.
 */
import net from 'node:net';

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
