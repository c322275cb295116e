/** POSIX shell quoting for the script form of the plan and for its shell expressions. */

const SAFE = /^[A-Za-z0-9_\-.,/:=@%+]+$/;

/** `word` as one shell word: unchanged when it holds nothing the shell reads, else single-quoted. */
export function shellQuote(word: string): string {
  if (word !== '' && SAFE.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export const shellJoin = (argv: readonly string[]): string => argv.map(shellQuote).join(' ');
