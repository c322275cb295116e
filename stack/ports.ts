/**
 * Port checks before anything starts: each port is bound the way its child will bind it (the
 * service on HOST, the Functions Framework on 127.0.0.1), so a taken port fails here with a
 * message naming the variable rather than as a child's EADDRINUSE stack trace. A port of 0 is
 * resolved to a free one, held until every port is known so two zeros never get the same port.
 * (A port can still be taken between this check and the child's listen; the child then exits and
 * the stack stops with STACK_ERR_CHILD_EXITED.)
 */
import net from 'node:net';
import { STACK_ERR_PORT_IN_USE, STACK_EXIT, StackError } from './errors.js';

export interface PortRequest {
  /** The variable that set it, for the message. */
  readonly variable: string;
  readonly port: number;
  /** Address the child binds; undefined means every address (Node's default). */
  readonly host: string | undefined;
}

function bind(port: number, host: string | undefined): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => resolve(server));
  });
}

const close = (server: net.Server): Promise<void> =>
  new Promise((resolve) => server.close(() => resolve()));

/**
 * Checks every port in order and returns the ports to use (a 0 replaced by a free port), or throws
 * STACK_ERR_PORT_IN_USE for the first taken one.
 */
export async function claimPorts(requests: readonly PortRequest[]): Promise<number[]> {
  const held: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (const r of requests) {
      let server: net.Server;
      try {
        server = await bind(r.port, r.host);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        const why =
          code === 'EADDRINUSE'
            ? 'is already in use (another runwatch stack, or some other server, listens there)'
            : code === 'EACCES'
              ? 'needs privileges to bind (ports below 1024)'
              : `cannot be bound (${code ?? String(e)})`;
        throw new StackError(
          STACK_ERR_PORT_IN_USE,
          STACK_EXIT.PORT_IN_USE,
          `${r.variable}=${r.port}: port ${r.port}${r.host ? ` on ${r.host}` : ''} ${why}. Stop what listens there, or choose another port, e.g. ${r.variable}=${r.port === 0 ? 18080 : r.port + 10} npm start (0 picks a free port).`,
          { field: r.variable, cause: e },
        );
      }
      held.push(server);
      ports.push((server.address() as net.AddressInfo).port);
    }
    return ports;
  } finally {
    await Promise.all(held.map(close));
  }
}
