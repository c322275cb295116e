/** Runs a built CLI (`build/tools/*.js`) as a child process with only `env` (and PATH) set. */
import { spawn } from 'node:child_process';

export interface CliRun {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

export function runCli(
  cli: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      env: { PATH: process.env.PATH ?? '', METADATA_SERVER_DETECTION: 'none', ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.once('close', (code) => resolve({ code, out, err }));
  });
}
