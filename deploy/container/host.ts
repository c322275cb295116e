/**
 * What the container test reads from this machine's configuration: the image a short name
 * resolves to in containers-registries.conf's `[aliases]` tables (so the stand-in base is found
 * under the name the Dockerfile's `FROM node:20-slim` resolves to), and the Debian mirror apt
 * uses (so mmdebstrap fetches from where this machine can).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The registries.conf files podman reads, in the order later ones override earlier ones. */
export function registriesConfFiles(etc = '/etc/containers'): string[] {
  const files = [join(etc, 'registries.conf')];
  try {
    const dropIns = readdirSync(join(etc, 'registries.conf.d'))
      .filter((f) => f.endsWith('.conf'))
      .sort();
    files.push(...dropIns.map((f) => join(etc, 'registries.conf.d', f)));
  } catch {
    // no drop-in directory
  }
  return files;
}

/**
 * The alias of `shortName` in these registries.conf texts (TOML; only `[aliases]` tables are
 * read, and a later text overrides an earlier one), or undefined when none names it.
 */
export function shortNameAlias(texts: readonly string[], shortName: string): string | undefined {
  let alias: string | undefined;
  for (const text of texts) {
    let inAliases = false;
    for (const raw of text.split('\n')) {
      const line = raw.replace(/#.*$/, '').trim();
      if (line.startsWith('[')) {
        inAliases = line === '[aliases]';
        continue;
      }
      if (!inAliases) continue;
      const m = /^"([^"]+)"\s*=\s*"([^"]+)"$/.exec(line);
      if (m !== null && m[1] === shortName) alias = m[2];
    }
  }
  return alias;
}

/** The image `FROM <name>:<tag>` resolves to here, by the aliases, else Docker Hub's library. */
export function resolveShortName(reference: string, texts: readonly string[]): string {
  const [name, tag = 'latest'] = reference.split(':') as [string, string?];
  return `${shortNameAlias(texts, name) ?? `docker.io/library/${name}`}:${tag}`;
}

export function readTexts(files: readonly string[]): string[] {
  return files.flatMap((f) => {
    try {
      return [readFileSync(f, 'utf8')];
    } catch {
      return [];
    }
  });
}

/**
 * The first mirror URI apt uses for `suite`: from deb822 `.sources` texts (`URIs:` of a stanza
 * whose `Suites:` holds it), else from one-line `deb URI suite …` entries; undefined if none.
 */
export function debianMirror(texts: readonly string[], suite: string): string | undefined {
  for (const text of texts) {
    for (const stanza of text.split(/\n\s*\n/)) {
      const field = (name: string) =>
        new RegExp(`^${name}:\\s*(.+)$`, 'mi').exec(stanza)?.[1]?.trim().split(/\s+/) ?? [];
      const uris = field('URIs');
      if (uris.length > 0 && field('Suites').includes(suite) && field('Types').includes('deb')) {
        return uris[0];
      }
    }
    for (const raw of text.split('\n')) {
      const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(raw.trim());
      if (m !== null && m[2] === suite) return m[1];
    }
  }
  return undefined;
}

/** apt's source lists on this machine. */
export function aptSourceFiles(etc = '/etc/apt'): string[] {
  const files: string[] = [];
  try {
    files.push(
      ...readdirSync(join(etc, 'sources.list.d'))
        .filter((f) => f.endsWith('.sources') || f.endsWith('.list'))
        .sort()
        .map((f) => join(etc, 'sources.list.d', f)),
    );
  } catch {
    // no drop-in directory
  }
  files.push(join(etc, 'sources.list'));
  return files;
}

/** `Uid:` of a /proc/<pid>/status text: real, effective, saved and filesystem uid. */
export function uidsOf(status: string): readonly number[] | undefined {
  const m = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/m.exec(status);
  return m === null ? undefined : m.slice(1).map(Number);
}
