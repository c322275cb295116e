/**
 * The module specifiers one compiled ES module imports: `import … from 'x'`, `import 'x'`,
 * `export … from 'x'` (static) and `import('x')` (dynamic), in source order. Comments, strings,
 * template literals and regular-expression literals are skipped, so a specifier quoted in a
 * docblock or a message is not an import. A dynamic import whose argument is not one string
 * literal is reported with `specifier: null`: the caller cannot know what it loads.
 *
 * This is a lexer over tsc's output, not a JavaScript parser: it tells a regular expression from
 * a division by the token before the `/`, which is what JavaScript's grammar does for the code
 * tsc emits.
 */

export interface ImportRef {
  readonly kind: 'static' | 'dynamic';
  /** The string literal imported, or null for a dynamic import of a computed value. */
  readonly specifier: string | null;
  /** 1-based line of the `import`/`export` keyword. */
  readonly line: number;
}

const IDENT = /[\p{ID_Continue}$\u200c\u200d]/u;
/** Keywords after which a `/` starts a regular expression, not a division. */
const REGEX_AFTER_WORD = new Set([
  'return',
  'typeof',
  'instanceof',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'case',
  'do',
  'else',
  'yield',
  'await',
]);

class Lexer {
  pos = 0;
  /** The last significant token: a punctuator character, or 'word', 'value' (literal or `)`/`]`). */
  last: string = ';';
  lastWord = '';
  /** Open template literals' brace depths: `}` at that depth resumes the template. */
  private readonly templates: number[] = [];
  private braces = 0;
  readonly refs: ImportRef[] = [];

  constructor(private readonly src: string) {}

  private lineAt(pos: number): number {
    let line = 1;
    for (let i = 0; i < pos; i++) if (this.src.charCodeAt(i) === 10) line++;
    return line;
  }

  private isIdent(ch: string | undefined): boolean {
    return ch !== undefined && IDENT.test(ch);
  }

  /** Skips whitespace and comments from `pos`; returns the new position. */
  private skipTrivia(pos: number): number {
    const s = this.src;
    for (;;) {
      const ch = s[pos];
      if (ch === undefined) return pos;
      if (/\s/.test(ch)) {
        pos++;
      } else if (ch === '/' && s[pos + 1] === '/') {
        const nl = s.indexOf('\n', pos);
        pos = nl < 0 ? s.length : nl + 1;
      } else if (ch === '/' && s[pos + 1] === '*') {
        const end = s.indexOf('*/', pos + 2);
        pos = end < 0 ? s.length : end + 2;
      } else {
        return pos;
      }
    }
  }

  /** Reads the string literal at `pos` (a quote); returns its value and the position after it. */
  private readString(pos: number): { value: string; end: number } {
    const s = this.src;
    const quote = s[pos];
    let value = '';
    let i = pos + 1;
    while (i < s.length && s[i] !== quote) {
      if (s[i] === '\\') {
        value += s[i + 1] ?? '';
        i += 2;
      } else {
        if (s[i] === '\n') break;
        value += s[i];
        i++;
      }
    }
    return { value, end: i + 1 };
  }

  /** Skips template text from `pos` (inside the backquotes) to its end or to a `${`. */
  private skipTemplateText(pos: number): number {
    const s = this.src;
    let i = pos;
    while (i < s.length) {
      if (s[i] === '\\') {
        i += 2;
      } else if (s[i] === '`') {
        this.last = 'value';
        return i + 1;
      } else if (s[i] === '$' && s[i + 1] === '{') {
        this.templates.push(this.braces);
        this.braces++;
        this.last = '{';
        return i + 2;
      } else {
        i++;
      }
    }
    return i;
  }

  private skipRegex(pos: number): number {
    const s = this.src;
    let i = pos + 1;
    let inClass = false;
    while (i < s.length && s[i] !== '\n') {
      const ch = s[i];
      if (ch === '\\') {
        i += 2;
        continue;
      }
      if (ch === '[') inClass = true;
      else if (ch === ']') inClass = false;
      else if (ch === '/' && !inClass) {
        i++;
        while (this.isIdent(s[i])) i++;
        return i;
      }
      i++;
    }
    return i;
  }

  private regexAllowed(): boolean {
    if (this.last === 'value') return false;
    if (this.last === 'word') return REGEX_AFTER_WORD.has(this.lastWord);
    return true;
  }

  /** At `import` (not `import.meta`): records what it imports. */
  private onImport(start: number, after: number): void {
    const s = this.src;
    const line = this.lineAt(start);
    let i = this.skipTrivia(after);
    if (s[i] === '(') {
      i = this.skipTrivia(i + 1);
      const quote = s[i];
      if (quote === "'" || quote === '"') {
        const { value, end } = this.readString(i);
        const next = s[this.skipTrivia(end)];
        this.refs.push({
          kind: 'dynamic',
          specifier: next === ')' || next === ',' ? value : null,
          line,
        });
      } else {
        this.refs.push({ kind: 'dynamic', specifier: null, line });
      }
      return;
    }
    // A declaration: the first string literal before the statement ends is the module.
    this.recordFrom(i, line);
  }

  /** At `export`: records `export * from` / `export {…} from`; other exports import nothing. */
  private onExport(start: number, after: number): void {
    const s = this.src;
    const i = this.skipTrivia(after);
    if (s[i] === '*' || s[i] === '{') this.recordFrom(i, this.lineAt(start));
  }

  private recordFrom(pos: number, line: number): void {
    const s = this.src;
    let i = pos;
    while (i < s.length) {
      i = this.skipTrivia(i);
      const ch = s[i];
      if (ch === "'" || ch === '"') {
        this.refs.push({ kind: 'static', specifier: this.readString(i).value, line });
        return;
      }
      if (ch === ';' || ch === undefined) return;
      // `export const x = …` never reaches here; `export { a }` without `from` ends at `;`/newline.
      if (ch === '}' && s[this.skipTrivia(i + 1)] !== 'f') return;
      i++;
    }
  }

  run(): ImportRef[] {
    const s = this.src;
    while (this.pos < s.length) {
      const i = this.skipTrivia(this.pos);
      if (i >= s.length) break;
      const ch = s[i] as string;
      if (ch === "'" || ch === '"') {
        this.pos = this.readString(i).end;
        this.last = 'value';
      } else if (ch === '`') {
        this.pos = this.skipTemplateText(i + 1);
      } else if (ch === '/' && this.regexAllowed()) {
        this.pos = this.skipRegex(i);
        this.last = 'value';
      } else if (this.isIdent(ch)) {
        let end = i;
        while (this.isIdent(s[end])) end++;
        const word = s.slice(i, end);
        const member = this.last === '.' || this.last === '?.';
        this.pos = end;
        this.last = /^\d/.test(word) ? 'value' : 'word';
        this.lastWord = word;
        if (!member && word === 'import' && s[this.skipTrivia(end)] !== '.') {
          this.onImport(i, end);
        } else if (!member && word === 'export') {
          this.onExport(i, end);
        }
        if (['this', 'super', 'null', 'true', 'false'].includes(word)) this.last = 'value';
      } else if (ch === '{') {
        this.braces++;
        this.pos = i + 1;
        this.last = '{';
      } else if (ch === '}') {
        this.braces--;
        this.pos = i + 1;
        if (this.templates.length > 0 && this.templates.at(-1) === this.braces) {
          this.templates.pop();
          this.pos = this.skipTemplateText(this.pos);
        } else {
          this.last = '}';
        }
      } else {
        this.pos = i + 1;
        this.last = ch === ')' || ch === ']' ? 'value' : ch;
      }
    }
    return this.refs;
  }
}

export function scanImports(source: string): ImportRef[] {
  return new Lexer(source).run();
}
