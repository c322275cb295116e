/**
 * The local Redis at 127.0.0.1:6379 that rate-limit tests share. Without it those tests log a skip,
 * unless REQUIRE_REDIS=1 (CI), where its absence fails them.
 */
import net from 'node:net';
import type { ExecutionContext } from 'ava';

export const LOCAL_REDIS = { host: '127.0.0.1', port: 6379 } as const;

export async function redisReachable(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(LOCAL_REDIS.port, LOCAL_REDIS.host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** True when the test can use the local Redis; otherwise it has passed (skipped) or failed. */
export async function needsLocalRedis(t: ExecutionContext): Promise<boolean> {
  if (await redisReachable()) return true;
  if (process.env.REQUIRE_REDIS === '1') {
    t.fail('Redis is not reachable at 127.0.0.1:6379 but REQUIRE_REDIS=1 (CI)');
  } else {
    t.log('SKIPPED: no Redis at 127.0.0.1:6379; CI runs this against its Redis');
    t.pass();
  }
  return false;
}
