/**
 * How apply recognises the notification channels and alert policies it manages, since
 * Monitoring names them itself and does not keep display names unique: each carries the user
 * labels `managed-by: runwatch` and `runwatch-id: <definition id>`.
 *
 * An existing resource is the definition's when it carries both labels with that id (one such
 * resource; several are DEPLOY_APPLY_ERR_AMBIGUOUS). Failing that, one with the definition's
 * displayName is someone else's (created by hand, by gcloud, by another tool, or by runwatch
 * under another id): it is reported and not touched, and no second one is created beside it,
 * unless `adopt` is set, which takes a single one over (labels and all). Otherwise the
 * definition is created.
 */

export const MANAGED_BY_LABEL = 'managed-by';
export const MANAGED_BY = 'runwatch';
export const ID_LABEL = 'runwatch-id';

/** Monitoring's rule for label values, which a definition id must meet to be one. */
export const isLabelValue = (value: string): boolean => /^[a-z][a-z0-9_-]{0,62}$/.test(value);

interface Labelled {
  readonly name?: string | null;
  readonly displayName?: string | null;
  readonly userLabels?: Readonly<Record<string, string>> | null;
}

export type Match<T> =
  | { readonly kind: 'none' }
  | { readonly kind: 'managed'; readonly existing: T; readonly adopted: boolean }
  | { readonly kind: 'unmanaged'; readonly existing: readonly T[] }
  | { readonly kind: 'ambiguous'; readonly names: readonly string[]; readonly why: string };

export const managedId = (r: Labelled): string | null =>
  r.userLabels?.[MANAGED_BY_LABEL] === MANAGED_BY ? (r.userLabels?.[ID_LABEL] ?? null) : null;

export function findExisting<T extends Labelled>(
  existing: readonly T[],
  id: string,
  displayName: string,
  adopt: boolean,
): Match<T> {
  const mine = existing.filter((r) => managedId(r) === id);
  if (mine.length > 1) {
    return {
      kind: 'ambiguous',
      names: mine.map((r) => r.name ?? ''),
      why: `${mine.length} carry ${MANAGED_BY_LABEL}: ${MANAGED_BY} and ${ID_LABEL}: ${id}`,
    };
  }
  if (mine.length === 1) return { kind: 'managed', existing: mine[0] as T, adopted: false };
  const named = existing.filter((r) => r.displayName === displayName);
  if (named.length === 0) return { kind: 'none' };
  if (!adopt) return { kind: 'unmanaged', existing: named };
  if (named.length > 1) {
    return {
      kind: 'ambiguous',
      names: named.map((r) => r.name ?? ''),
      why: `--adopt found ${named.length} with displayName ${JSON.stringify(displayName)}`,
    };
  }
  return { kind: 'managed', existing: named[0] as T, adopted: true };
}

/** Why an unmanaged match was left alone, for its row. */
export function untouchedNote(existing: readonly Labelled[], displayName: string): string {
  const other = existing.map(managedId).find((x) => x !== null);
  const whose =
    other === undefined || other === null
      ? `without the ${MANAGED_BY_LABEL}: ${MANAGED_BY} label (created outside runwatch)`
      : `under another definition id (${ID_LABEL}: ${other})`;
  return `${existing.length === 1 ? 'one exists' : `${existing.length} exist`} with displayName ${JSON.stringify(displayName)} ${whose}; not touched, and none created beside it. To have apply manage it, run with --adopt (or delete it, or rename the definition)`;
}
