/** A pino destination that keeps parsed lines, so tests assert on log objects (pino's `sink()`). */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../lib/logger.js';

export interface Sink {
  readonly log: Logger;
  readonly lines: Record<string, unknown>[];
  events(): unknown[];
}

export function sinkLogger(level = 'debug'): Sink {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n'))
        if (l.trim() !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  const log = createLogger({
    level,
    destination: stream as unknown as NodeJS.WritableStream & { write(s: string): boolean },
  });
  return { log, lines, events: () => lines.map((l) => l.event).filter((e) => e !== undefined) };
}
