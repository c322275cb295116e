/**
 * The images of the offline container test, made from what this machine has: no image registry
 * is reachable, so the Dockerfile's `node:20-slim` is a stand-in built here. A Debian bookworm
 * minbase made by mmdebstrap from apt's own mirror is imported once and kept in podman's store
 * (`BASE_IMAGE`); the stand-in adds this machine's node and npm where the official image has them
 * (/usr/local) and its user `node` (uid 1000), and is tagged with the name `FROM node:20-slim`
 * resolves to. A real node:20-slim already in the store (one without the stand-in label) is used
 * as it is.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './exec.js';

export const BASE_IMAGE = 'localhost/runwatch-test/debian-bookworm-minbase:latest';
/** Marks an image as this test's stand-in, with the node and npm it carries. */
export const STAND_IN_LABEL = 'runwatch.stand-in';

export type Log = (line: string) => void;

export async function imageExists(image: string): Promise<boolean> {
  return (await run('podman', ['image', 'exists', image], { allowFailure: true })).code === 0;
}

/**
 * mmdebstrap's minbase plus what node needs (libstdc++, CA certificates), without docs, man
 * pages and locales, as Debian's slim images are; merged /usr by hook rather than the usrmerge
 * package (which would bring perl in).
 */
export function mmdebstrapArgs(mirror: string, tarball: string): string[] {
  return [
    '--variant=minbase',
    '--include=ca-certificates,libstdc++6',
    '--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr',
    '--aptopt=Apt::Install-Recommends "false"',
    '--dpkgopt=path-exclude=/usr/share/man/*',
    '--dpkgopt=path-exclude=/usr/share/doc/*',
    '--dpkgopt=path-include=/usr/share/doc/*/copyright',
    '--dpkgopt=path-exclude=/usr/share/locale/*',
    'bookworm',
    tarball,
    mirror,
  ];
}

/** The Debian base, built unless podman's store has it. Returns whether it was built. */
export async function ensureBase(mirror: string, log: Log): Promise<boolean> {
  if (await imageExists(BASE_IMAGE)) {
    log(`base: ${BASE_IMAGE} (cached in podman's store)`);
    return false;
  }
  const dir = mkdtempSync(join(tmpdir(), 'runwatch-rootfs-'));
  try {
    const tarball = join(dir, 'rootfs.tar');
    log(`base: mmdebstrap bookworm minbase from ${mirror} …`);
    await run('mmdebstrap', mmdebstrapArgs(mirror, tarball), { step: 'the Debian base' });
    await run('podman', ['import', tarball, BASE_IMAGE], { step: 'importing the Debian base' });
    log(`base: ${BASE_IMAGE} imported`);
    return true;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface HostNode {
  /** This machine's node binary. */
  readonly node: string;
  /** This machine's npm package directory. */
  readonly npmDir: string;
  readonly nodeVersion: string;
  readonly npmVersion: string;
}

export async function hostNode(nodePath: string): Promise<HostNode> {
  const npmVersion = (await run('npm', ['--version'], { step: 'npm --version' })).stdout.trim();
  const globalRoot = (await run('npm', ['root', '-g'], { step: 'npm root -g' })).stdout.trim();
  const nodeVersion = (await run(nodePath, ['--version'])).stdout.trim();
  return { node: nodePath, npmDir: join(globalRoot, 'npm'), nodeVersion, npmVersion };
}

const labelOf = (host: HostNode) => `node ${host.nodeVersion} npm ${host.npmVersion}`;

async function labels(image: string): Promise<Record<string, string>> {
  const out = await run('podman', ['image', 'inspect', '--format', '{{json .Labels}}', image], {
    step: `inspecting ${image}`,
  });
  return (JSON.parse(out.stdout) as Record<string, string> | null) ?? {};
}

/**
 * The stand-in `node:20-slim` under `name`: reused when it carries this machine's node and npm,
 * rebuilt when they changed; a real image of that name (no stand-in label) is left alone.
 */
export async function ensureNodeStandIn(name: string, host: HostNode, log: Log): Promise<void> {
  if (await imageExists(name)) {
    const label = (await labels(name))[STAND_IN_LABEL];
    if (label === undefined) {
      log(`node image: ${name} (a real one, in podman's store)`);
      return;
    }
    if (label === labelOf(host)) {
      log(`node image: ${name} (stand-in with ${label}, cached)`);
      return;
    }
  }
  const step = 'the stand-in node:20-slim';
  const c = (await run('buildah', ['from', '--pull=never', BASE_IMAGE], { step })).stdout.trim();
  try {
    await run('buildah', ['copy', c, host.node, '/usr/local/bin/node'], { step });
    await run('buildah', ['copy', c, host.npmDir, '/usr/local/lib/node_modules/npm'], { step });
    // The official image's user: uid and gid 1000, a home directory, bash.
    const setup = [
      'ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm',
      'ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx',
      'echo node:x:1000: >> /etc/group',
      'echo node:x:1000:1000::/home/node:/bin/bash >> /etc/passwd',
      'mkdir -p /home/node && chown 1000:1000 /home/node',
      'node --version && npm --version',
    ].join(' && ');
    await run('buildah', ['run', '--isolation', 'chroot', c, '--', 'sh', '-c', setup], { step });
    await run(
      'buildah',
      ['config', '--cmd', 'node', '--label', `${STAND_IN_LABEL}=${labelOf(host)}`, c],
      {
        step,
      },
    );
    await run('buildah', ['commit', '--quiet', '--rm', c, name], { step });
  } catch (e) {
    await run('buildah', ['rm', c], { allowFailure: true });
    throw e;
  }
  log(`node image: ${name} (stand-in with ${labelOf(host)}, built)`);
}

export interface BuildOptions {
  readonly root: string;
  readonly tag: string;
  /**
   * A CA bundle npm must trust inside the build (this machine reaches the npm registry through
   * a TLS proxy of its own): mounted with an npmrc naming it, for the build only, so no layer
   * holds either.
   */
  readonly cafile?: string;
  /**
   * This machine's npm cache, mounted where the build's npm (root, HOME /root) keeps its own,
   * for the build only: the build's `npm ci` then reads the tarballs this machine already has
   * rather than downloading several hundred megabytes again, and no layer holds the cache.
   */
  readonly npmCache?: string;
}

/** `podman build --pull=never --isolation=chroot` of the repository's Dockerfile, unchanged. */
export async function buildImage(options: BuildOptions): Promise<void> {
  const mounts: string[] = [];
  let dir: string | undefined;
  if (options.cafile !== undefined) {
    dir = mkdtempSync(join(tmpdir(), 'runwatch-npmrc-'));
    const npmrc = join(dir, 'npmrc');
    writeFileSync(npmrc, 'cafile=/run/runwatch-build-ca.crt\n');
    // npm's global config is <prefix>/etc/npmrc; node:20-slim's prefix is /usr/local.
    mounts.push('--volume', `${npmrc}:/usr/local/etc/npmrc:ro`);
    mounts.push('--volume', `${options.cafile}:/run/runwatch-build-ca.crt:ro`);
  }
  if (options.npmCache !== undefined) mounts.push('--volume', `${options.npmCache}:/root/.npm`);
  try {
    await run(
      'podman',
      [
        'build',
        '--pull=never',
        '--isolation=chroot',
        ...mounts,
        '--file',
        join(options.root, 'Dockerfile'),
        '--tag',
        options.tag,
        options.root,
      ],
      { step: 'podman build of the Dockerfile' },
    );
  } finally {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
}

export interface ImageConfig {
  readonly User?: string;
  readonly Entrypoint?: readonly string[] | null;
  readonly Cmd?: readonly string[] | null;
  readonly WorkingDir?: string;
  readonly Env?: readonly string[];
  readonly Healthcheck?: unknown;
}

export async function imageConfig(image: string): Promise<ImageConfig> {
  const out = await run('podman', ['image', 'inspect', '--format', '{{json .Config}}', image], {
    step: `inspecting ${image}`,
  });
  return JSON.parse(out.stdout) as ImageConfig;
}

/** The image's size in bytes (its layers, uncompressed), as podman reports it. */
export async function imageSize(image: string): Promise<number> {
  const out = await run('podman', ['image', 'inspect', '--format', '{{.Size}}', image], {
    step: `inspecting ${image}`,
  });
  return Number(out.stdout.trim());
}

/** Every image id in the store, intermediate ones too. */
export async function imageIds(): Promise<Set<string>> {
  const out = await run('podman', ['images', '--all', '--quiet', '--no-trunc'], {
    step: 'listing images',
  });
  return new Set(out.stdout.split('\n').filter((l) => l.trim() !== ''));
}

/** Removes the tag, then the images in `ids` (those this run made), newest first. */
export async function removeImages(tag: string, ids: readonly string[]): Promise<void> {
  await run('podman', ['rmi', tag], { allowFailure: true });
  for (const id of ids) await run('podman', ['rmi', id], { allowFailure: true });
}

/** The host's npm setting `key` (`cafile`, `cache`), when it names something. */
export async function npmSetting(key: string): Promise<string | undefined> {
  const out = await run('npm', ['config', 'get', key], { allowFailure: true });
  const value = out.stdout.trim();
  return out.code === 0 && value !== '' && value !== 'null' && value !== 'undefined'
    ? value
    : undefined;
}
