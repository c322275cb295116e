/**
 * The offline container test behind `npm run test:container` (docs/container.md): build the
 * Debian base and the stand-in node image unless podman's store has them, `podman build` the
 * unmodified Dockerfile, run the image's own Entrypoint as its own USER, and check what Cloud Run
 * relies on. Each check reports what it measured and what it expected; the run stops at the
 * first check that leaves nothing to test after it (the service never started).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ContainerTestError } from './errors.js';
import { installed, tail } from './exec.js';
import {
  aptSourceFiles,
  debianMirror,
  readTexts,
  registriesConfFiles,
  resolveShortName,
  uidsOf,
} from './host.js';
import {
  BASE_IMAGE,
  buildImage,
  ensureBase,
  ensureNodeStandIn,
  hostNode,
  imageConfig,
  imageExists,
  imageIds,
  imageSize,
  type Log,
  npmSetting,
  removeImages,
} from './images.js';
import { findProgram, freePort, outputTail, startImage, stopImage } from './run-image.js';

export const IMAGE_TAG = 'localhost/runwatch:container-test';
export const ENTRYPOINT = ['node', 'build/service/main.js'] as const;
/** Cloud Run gives a container this long between SIGTERM and SIGKILL. */
export const DRAIN_BUDGET_MS = 10_000;
export const STARTUP_BUDGET_MS = 60_000;
/**
 * The most the image may add to its node:20-slim base: room for the service package (the model,
 * onnxruntime's linux-x64 binaries, the JavaScript dependencies) to grow, and less than it would
 * take with onnxruntime's other platforms or the development dependencies in the image.
 */
export const ADDED_BYTES_BOUND = 150 * 1024 * 1024;
/** Packages the service's image must not hold: the stores' drivers, the functions' runtime, tools. */
export const NOT_IN_IMAGE = [
  'better-sqlite3',
  'pg',
  '@google-cloud/functions-framework',
  'typescript',
  '@biomejs/biome',
  'ava',
];

/** What Cloud Run sets, and what the production service spec sets, for the service to start. */
const RUN_ENV = {
  K_SERVICE: 'runwatch',
  K_REVISION: 'runwatch-00001-test',
  K_CONFIGURATION: 'runwatch',
  ENVIRONMENT: 'production',
  AUTH_MODE: 'iam',
};

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly measured: string;
  readonly expected: string;
}

export interface ContainerTestOptions {
  readonly root: string;
  /** The node binary that runs this test: the stand-in carries it. */
  readonly nodePath: string;
  /** Keep the built image and its build layers (the base images are always kept). */
  readonly keepImage: boolean;
  readonly log: Log;
  readonly report: (check: Check) => void;
}

export interface ContainerTestResult {
  readonly checks: readonly Check[];
  readonly imageBytes: number | undefined;
  readonly buildMs: number;
}

/** The images a Dockerfile's FROM lines name (stages referred to by name excluded). */
export function fromImages(dockerfile: string): string[] {
  const stages = new Set<string>();
  const images: string[] = [];
  for (const line of dockerfile.split('\n')) {
    const m = /^\s*FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?\s*$/i.exec(line);
    if (m === null) continue;
    const image = m[1] as string;
    if (!stages.has(image) && !images.includes(image)) images.push(image);
    if (m[2] !== undefined) stages.add(m[2]);
  }
  return images;
}

const ms = (from: number) => Math.round(performance.now() - from);
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

async function get(url: string, init?: RequestInit): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text() };
}

export async function runContainerTest(
  options: ContainerTestOptions,
): Promise<ContainerTestResult> {
  const { root, log } = options;
  const checks: Check[] = [];
  const check = (c: Check) => {
    checks.push(c);
    options.report(c);
  };

  for (const tool of ['podman', 'buildah']) {
    if (!(await installed(tool))) {
      throw new ContainerTestError(
        'CONTAINER_ERR_TOOL_MISSING',
        `${tool} is not installed: expected Debian's podman, buildah and mmdebstrap (apt-get install podman buildah mmdebstrap; .ci/run does)`,
      );
    }
  }
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const bases = fromImages(dockerfile);
  if (bases.length !== 1 || !/^node:[\w.-]+$/.test(bases[0] as string)) {
    throw new ContainerTestError(
      'CONTAINER_ERR_CHECK_FAILED',
      `Dockerfile's FROM lines name ${JSON.stringify(bases)}: expected one node:<tag> image, which this test stands in for`,
    );
  }
  const nodeImage = resolveShortName(bases[0] as string, readTexts(registriesConfFiles()));
  const mirror = debianMirror(readTexts(aptSourceFiles()), 'bookworm');
  if (mirror === undefined) {
    throw new ContainerTestError(
      'CONTAINER_ERR_STEP_FAILED',
      'the Debian base: no apt source for bookworm in /etc/apt/sources.list.d or /etc/apt/sources.list: expected the mirror mmdebstrap should use',
    );
  }

  let started = performance.now();
  if (!(await imageExists(BASE_IMAGE)) && !(await installed('mmdebstrap'))) {
    throw new ContainerTestError(
      'CONTAINER_ERR_TOOL_MISSING',
      "mmdebstrap is not installed and the Debian base is not cached: expected Debian's mmdebstrap (apt-get install mmdebstrap; .ci/run does)",
    );
  }
  await ensureBase(mirror, log);
  await ensureNodeStandIn(nodeImage, await hostNode(options.nodePath), log);
  log(`base images ready in ${ms(started)} ms`);

  const before = await imageIds();
  started = performance.now();
  const cafile = await npmSetting('cafile');
  const npmCache = await npmSetting('cache');
  log(`podman build --pull=never --isolation=chroot ${join(root, 'Dockerfile')} …`);
  let newImages: string[] = [];
  try {
    await buildImage({
      root,
      tag: IMAGE_TAG,
      ...(cafile === undefined ? {} : { cafile }),
      ...(npmCache === undefined ? {} : { npmCache }),
    });
  } finally {
    newImages = [...(await imageIds())].filter((id) => !before.has(id));
  }
  const buildMs = ms(started);
  log(`built ${IMAGE_TAG} in ${buildMs} ms`);

  let imageBytes: number | undefined;
  try {
    const config = await imageConfig(IMAGE_TAG);
    const user = config.User ?? '';
    check({
      name: 'image user',
      ok: user !== '' && user !== 'root' && !/^0(:|$)/.test(user),
      measured: `USER ${JSON.stringify(user)}`,
      expected: 'a USER that is not root',
    });
    check({
      name: 'entrypoint',
      ok:
        JSON.stringify(config.Entrypoint) === JSON.stringify(ENTRYPOINT) &&
        (config.Cmd ?? []).length === 0,
      measured: `Entrypoint ${JSON.stringify(config.Entrypoint)}, Cmd ${JSON.stringify(config.Cmd ?? null)}`,
      expected: `exec form ${JSON.stringify(ENTRYPOINT)} and no Cmd`,
    });
    check({
      name: 'no healthcheck',
      ok: config.Healthcheck === undefined || config.Healthcheck === null,
      measured: config.Healthcheck === undefined ? 'none' : JSON.stringify(config.Healthcheck),
      expected: 'none: Cloud Run ignores HEALTHCHECK and probes as the service spec says',
    });

    imageBytes = await imageSize(IMAGE_TAG);
    const baseBytes = await imageSize(nodeImage);
    check({
      name: 'image size',
      ok: imageBytes - baseBytes <= ADDED_BYTES_BOUND,
      measured: `${mb(imageBytes)} in all: ${mb(baseBytes)} base + ${mb(imageBytes - baseBytes)} added`,
      expected: `at most ${mb(ADDED_BYTES_BOUND)} added to the base`,
    });

    await runChecks(options, config, check);
  } finally {
    if (!options.keepImage) {
      await removeImages(IMAGE_TAG, newImages);
      log(
        `removed ${IMAGE_TAG} and the ${newImages.length} images of its build (the base images stay cached)`,
      );
    }
  }
  return { checks, imageBytes, buildMs };
}

async function runChecks(
  options: ContainerTestOptions,
  config: Awaited<ReturnType<typeof imageConfig>>,
  check: (c: Check) => void,
): Promise<void> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const running = await startImage(IMAGE_TAG, config, { ...RUN_ENV, PORT: String(port) });
  options.log(
    `buildah run --isolation chroot --user ${running.user} ${running.container} -- ${running.argv.join(' ')} (PORT=${port})`,
  );
  try {
    const started = performance.now();
    let startup: number | undefined;
    while (ms(started) < STARTUP_BUDGET_MS && running.child.exitCode === null) {
      try {
        if ((await get(`${base}/health/startup`)).status === 200) {
          startup = ms(started);
          break;
        }
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    check({
      name: 'startup probe',
      ok: startup !== undefined,
      measured:
        startup === undefined
          ? `no 200 (${running.child.exitCode === null ? 'still starting' : `exited ${running.child.exitCode}`}); output ends:\n${outputTail(running)}`
          : `GET /health/startup 200 after ${startup} ms`,
      expected: `200 within ${STARTUP_BUDGET_MS} ms, once the model has loaded`,
    });
    if (startup === undefined) return;

    const labels = (
      JSON.parse(readFileSync(join(options.root, 'models/emotion-ekman/model.json'), 'utf8')) as {
        labels: string[];
      }
    ).labels;
    const t0 = performance.now();
    const predict = await get(`${base}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'what a wonderful surprise, the container works!' }),
    });
    const latency = ms(t0);
    let emotions: { emotion: string; confidence: number }[] = [];
    try {
      emotions = (JSON.parse(predict.body) as { emotions?: typeof emotions }).emotions ?? [];
    } catch {
      // not JSON: reported below
    }
    const top = emotions[0];
    check({
      name: 'predict',
      ok:
        predict.status === 200 &&
        emotions.length === labels.length &&
        emotions.every((e) => labels.includes(e.emotion) && e.confidence >= 0 && e.confidence <= 1),
      measured:
        predict.status === 200 && top !== undefined
          ? `POST /predict 200 in ${latency} ms, ${emotions.length} emotions, top ${top.emotion} ${top.confidence.toFixed(3)}`
          : `POST /predict ${predict.status}: ${predict.body.slice(0, 200)}`,
      expected: `200 with a confidence for each of ${labels.join(', ')}`,
    });

    const pid =
      running.child.pid === undefined ? undefined : findProgram(running.child.pid, running.argv);
    const uids =
      pid === undefined ? undefined : uidsOf(readFileSync(`/proc/${pid}/status`, 'utf8'));
    check({
      name: 'not root',
      ok: uids?.every((u) => u !== 0) === true,
      measured:
        uids === undefined
          ? `no process ${running.argv.join(' ')} found under buildah run`
          : `pid ${pid} runs as uid ${uids.join('/')} (real/effective/saved/fs)`,
      expected: `a non-zero uid (USER ${running.user})`,
    });

    if (pid !== undefined) {
      const app = join(`/proc/${pid}/root`, config.WorkingDir ?? '/');
      const present = NOT_IN_IMAGE.filter((p) => existsSync(join(app, 'node_modules', p)));
      const binaries = join(app, 'node_modules/onnxruntime-node/bin');
      const platforms = existsSync(binaries)
        ? readdirSync(binaries).flatMap((napi) =>
            readdirSync(join(binaries, napi)).flatMap((os) =>
              readdirSync(join(binaries, napi, os)).map((arch) => `${os}/${arch}`),
            ),
          )
        : [];
      check({
        name: 'contents',
        ok: present.length === 0 && platforms.join() === 'linux/x64',
        measured: `onnxruntime binaries: ${platforms.join(', ') || 'none'}; of ${NOT_IN_IMAGE.join(', ')}: ${present.join(', ') || 'none'}`,
        expected: 'onnxruntime for linux/x64 only, and none of those packages',
      });

      const t1 = performance.now();
      process.kill(pid, 'SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([
        running.exited,
        new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), DRAIN_BUDGET_MS + 5000);
        }),
      ]);
      clearTimeout(timer);
      const drainMs = ms(t1);
      const drained = /"event":"drain\.completed"/.test(running.output());
      check({
        name: 'SIGTERM drain',
        ok: code === 0 && drainMs <= DRAIN_BUDGET_MS && drained,
        measured:
          code === 'timeout'
            ? `still running ${drainMs} ms after SIGTERM`
            : `exit ${code} ${drainMs} ms after SIGTERM${drained ? ', drain.completed logged' : `, no drain.completed in the output:\n${tail(running.output(), 10)}`}`,
        expected: `exit 0 within Cloud Run's ${DRAIN_BUDGET_MS} ms, after a drain`,
      });
    }
  } finally {
    await stopImage(running);
  }
}
