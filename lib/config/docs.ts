/**
 * Configuration docs from the settings a deployable declares: the same `Setting` objects the
 * convict schema is built from, so a table cannot list a variable, default or sensitivity that
 * convict does not enforce. A generated section sits between two marker comments in a Markdown
 * file; `replaceSection` rewrites what is between them.
 */
import { Preset } from './presets.js';
import { leaves, type Setting, type SettingTree } from './settings.js';

export interface SettingRow {
  readonly variable: string;
  readonly default: string;
  readonly doc: string;
}

export function settingRows(tree: SettingTree): SettingRow[] {
  return [...leaves(tree)].map(([, s]) => ({
    variable: s.env,
    default: defaultText(s),
    doc: s.doc,
  }));
}

function defaultText(s: Setting<unknown>): string {
  if (s.defaultDoc !== undefined) return s.defaultDoc;
  if (s.default instanceof Preset) return s.default.doc;
  return s.default === null ? '(none)' : String(s.default);
}

export function markdownTable(rows: readonly SettingRow[]): string {
  const cell = (text: string): string => text.replace(/\|/g, '\\|');
  return [
    '| variable | default | meaning |',
    '|---|---|---|',
    ...rows.map((r) => `| \`${r.variable}\` | ${cell(r.default)} | ${cell(r.doc)} |`),
  ].join('\n');
}

/** A generated part of a Markdown file, between its `start` and `end` markers. */
export interface DocSection {
  readonly name: string;
  readonly start: string;
  readonly end: string;
  readonly render: () => string;
}

export function replaceSection(markdown: string, section: DocSection): string {
  const start = markdown.indexOf(section.start);
  const end = markdown.indexOf(section.end);
  if (start < 0 || end < start) {
    throw new Error(
      `the ${section.name} section's markers are missing: ${section.start} … ${section.end}`,
    );
  }
  return `${markdown.slice(0, start + section.start.length)}\n${section.render()}\n${markdown.slice(end)}`;
}
