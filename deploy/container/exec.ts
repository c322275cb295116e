/**
 * Runs the container tools as child processes: `run` waits and returns the output (a non-zero
 * exit is CONTAINER_ERR_STEP_FAILED naming the command and the end of its output), `installed`
 * says whether a program can be run.
 */
import { spawn } from 'node:child_process';
import { ContainerTestError } from './errors.js';

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd?: string;
  /** Resolve with the result instead of throwing on a non-zero exit. */
  readonly allowFailure?: boolean;
  /** Shown in the error message: what the step was for. */
  readonly step?: string;
}

/** The last `lines` lines of `text`. */
export const tail = (text: string, lines = 20): string =>
  text.trimEnd().split('\n').slice(-lines).join('\n');

export function run(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.once('error', (e) =>
      reject(
        new ContainerTestError(
          'CONTAINER_ERR_STEP_FAILED',
          `${options.step ?? command}: ${command} did not start (${e.message})`,
          { cause: e },
        ),
      ),
    );
    child.once('close', (code) => {
      if (code === 0 || options.allowFailure === true) {
        resolve({ code, stdout, stderr });
        return;
      }
      reject(
        new ContainerTestError(
          'CONTAINER_ERR_STEP_FAILED',
          `${options.step ?? command}: \`${[command, ...args].join(' ')}\` exited ${code}; expected 0. Its output ends:\n${tail(`${stdout}\n${stderr}`)}`,
        ),
      );
    });
  });
}

/** Whether `program --version` runs (it is installed and on PATH). */
export async function installed(program: string): Promise<boolean> {
  try {
    await run(program, ['--version'], { allowFailure: true });
    return true;
  } catch {
    return false;
  }
}
