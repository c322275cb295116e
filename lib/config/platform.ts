/**
 * Where a deployable runs, from the variables each platform sets for it: Cloud Run sets
 * K_SERVICE, Kubernetes sets KUBERNETES_SERVICE_HOST. convict reads variables into values; which
 * platform set them is decided here, the same way for the service, the functions and the stack.
 */
import { existsSync } from 'node:fs';

export const PLATFORMS = ['cloud-run', 'kubernetes', 'local'] as const;
export type Platform = (typeof PLATFORMS)[number];

export function detectPlatform(env: Readonly<Record<string, string | undefined>>): Platform {
  if (env.K_SERVICE) return 'cloud-run';
  if (env.KUBERNETES_SERVICE_HOST) return 'kubernetes';
  return 'local';
}

/** What the environment variables do not say about the host: a container, and a terminal. */
export interface HostFacts {
  /** Docker's /.dockerenv, podman's /run/.containerenv, or the `container` variable is there. */
  readonly container: boolean;
  /** stdout is a terminal: a person is watching. */
  readonly tty: boolean;
}

/** A developer's shell: what a caller that does not detect the host is taken to be. */
export const DEVELOPER_HOST: HostFacts = { container: false, tty: true };

export function detectHost(env: Readonly<Record<string, string | undefined>>): HostFacts {
  const container =
    existsSync('/.dockerenv') || existsSync('/run/.containerenv') || Boolean(env.container);
  return { container, tty: process.stdout.isTTY === true };
}

/**
 * Whether an unset ENVIRONMENT may mean development, whose defaults need no API key, serve
 * /metrics publicly and accept /admin/faults: only on no detected platform and not in a container
 * nobody watches. Cloud Run, Kubernetes and a non-TTY container are deployments, so they must
 * say which preset they run.
 */
export function mayDefaultToDevelopment(platform: Platform, host: HostFacts): boolean {
  return platform === 'local' && !(host.container && !host.tty);
}
