/**
 * A registered Cloud Function behind the real Functions Framework server (`getTestServer`, the
 * framework's Express app in the function's signature type) on port 0.
 */
import type { AddressInfo } from 'node:net';
import { getTestServer } from '@google-cloud/functions-framework/testing';

export interface FunctionServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function serveFunction(name: string): Promise<FunctionServer> {
  const server = getTestServer(name);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
