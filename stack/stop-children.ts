/**
 * Stopping the stack's children, in the order a drain needs: after a signal, give them
 * `settleMs` to show they got it themselves (a Ctrl-C reaches the whole process group, and a
 * second signal would make the service give up its drain); SIGTERM the service unless it is
 * draining already, and every function; SIGKILL whatever still runs `killAfterMs` after the stop
 * began. Resolves with the names of the children that had to be killed.
 */
import type { Logger } from '../lib/logger.js';
import type { StackChild } from './child.js';
import { sleep, until } from './readiness.js';

export interface StopChildrenOptions {
  readonly service: StackChild;
  readonly functions: readonly StackChild[];
  /** Whether the service logged `drain.started` (it got the signal itself). */
  readonly serviceDraining: () => boolean;
  /** True when the stop came from a signal the children may have received too. */
  readonly signalled: boolean;
  /** performance.now() when the stop began. */
  readonly startedAt: number;
  readonly settleMs: number;
  readonly killAfterMs: number;
  readonly log: Logger;
}

export async function stopChildren(opts: StopChildrenOptions): Promise<string[]> {
  const { service, functions, log } = opts;
  const children = [service, ...functions];
  if (opts.signalled) {
    await until(
      async () =>
        (opts.serviceDraining() || service.exit() !== null) &&
        functions.every((f) => f.exit() !== null),
      opts.settleMs,
      () => null,
      20,
    );
  }
  if (!opts.serviceDraining() && service.signal('SIGTERM')) {
    log.info(
      { event: 'stack.child_signalled', child: service.name, signal: 'SIGTERM' },
      `${service.name}: SIGTERM (drain)`,
    );
  }
  for (const f of functions) {
    if (f.signal('SIGTERM')) {
      log.info(
        { event: 'stack.child_signalled', child: f.name, signal: 'SIGTERM' },
        `${f.name}: SIGTERM`,
      );
    }
  }
  const killed: string[] = [];
  const remaining = opts.killAfterMs - (performance.now() - opts.startedAt);
  const allExited = Promise.all(children.map((c) => c.exited));
  if (
    (await Promise.race([allExited.then(() => true), sleep(remaining).then(() => false)])) === false
  ) {
    for (const c of children) {
      if (c.signal('SIGKILL')) {
        killed.push(c.name);
        log.error(
          { event: 'stack.child_killed', child: c.name, pid: c.pid },
          `${c.name} (pid ${c.pid}) still running ${opts.killAfterMs / 1000} s after the stop began: SIGKILL`,
        );
      }
    }
    await Promise.race([allExited, sleep(1000)]);
  }
  return killed;
}
