/**
 * One terminal for the stack's processes. Every line of the service, healthSweep, alertIngest,
 * alertTick and the supervisor is prefixed with its source (`service | `, `sweep   | `,
 * `ingest  | `, `tick    | `, `stack   | `). On a TTY, JSON log lines are
 * pretty-printed (the children always log JSON to the supervisor, so it can also watch their
 * events); elsewhere lines pass through as written, one JSON object after the prefix.
 */
import type { Writable } from 'node:stream';
import { prettyFactory } from 'pino-pretty';

export type Source = 'stack' | 'service' | 'sweep' | 'ingest' | 'tick';

const WIDTH = 7;
const COLOUR: Readonly<Record<Source, string>> = {
  stack: '\x1b[32m',
  service: '\x1b[36m',
  sweep: '\x1b[35m',
  ingest: '\x1b[33m',
  tick: '\x1b[34m',
};
const RESET = '\x1b[0m';

export interface Output {
  /** Writes one line (no trailing newline) from `source`, to stdout or stderr. */
  line(source: Source, text: string, stream?: 'out' | 'err'): void;
  /** Writes text as is to stdout (the URL table). */
  raw(text: string): void;
}

export function createOutput(opts: {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly pretty: boolean;
}): Output {
  // The lines are Cloud Logging shaped (lib/logger.ts): `severity` names the level, `message`
  // the message; the prefix already says which process wrote the line.
  const render = opts.pretty
    ? prettyFactory({
        colorize: true,
        messageKey: 'message',
        levelKey: 'severity',
        customLevels: 'DEBUG:20,INFO:30,WARNING:40,ERROR:50,CRITICAL:60',
        useOnlyCustomProps: true,
        singleLine: true,
        translateTime: 'HH:MM:ss.l',
        ignore: 'component,function',
      })
    : null;
  const prefix = (source: Source) =>
    opts.pretty
      ? `${COLOUR[source]}${source.padEnd(WIDTH)}${RESET} | `
      : `${source.padEnd(WIDTH)} | `;
  return {
    line(source, text, stream = 'out') {
      let shown = text;
      if (render !== null && text.startsWith('{')) {
        try {
          shown = render(JSON.parse(text) as object).replace(/\n$/, '');
        } catch {
          // not JSON after all: shown as written
        }
      }
      const out = stream === 'err' ? opts.stderr : opts.stdout;
      const p = prefix(source);
      out.write(`${p}${shown.split('\n').join(`\n${p}`)}\n`);
    },
    raw(text) {
      opts.stdout.write(text);
    },
  };
}

/** Splits a byte stream into lines; `end()` flushes a last unterminated line. */
export function lineSplitter(onLine: (line: string) => void): {
  push(chunk: Buffer | string): void;
  end(): void;
} {
  let buffer = '';
  return {
    push(chunk) {
      buffer += chunk.toString();
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        onLine(buffer.slice(0, nl).replace(/\r$/, ''));
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf('\n');
      }
    },
    end() {
      if (buffer !== '') onLine(buffer);
      buffer = '';
    },
  };
}
