/** Length in Unicode code points, not UTF-16 units: an emoji counts once. */
export function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}
