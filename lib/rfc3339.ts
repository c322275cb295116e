/**
 * RFC 3339 date-times (section 5.6 `date-time`): `2026-12-07T18:00:00Z`, `...18:00:00.5+01:00`,
 * `T`/`Z` in either case. Strict where `Date.parse` is loose: a date alone, a time without a
 * timezone, other formats, and a field out of range (February 30, hour 24, offset +24:00) are
 * refused rather than guessed at or rolled over. A leap second (`:60`) is refused too: a
 * JavaScript time cannot hold one. Fractions beyond milliseconds are cut.
 */

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** What `parseRfc3339` accepts, for messages. */
export const RFC3339_EXPECTED =
  'an RFC 3339 date-time with a timezone, e.g. 2026-12-07T18:00:00Z or 2026-12-07T19:00:00+01:00';

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : (DAYS[month - 1] as number);
}

/** A checked RFC 3339 date-time: its whole seconds as epoch ms (UTC), and its fraction's digits. */
export interface Rfc3339Parts {
  readonly secondsMs: number;
  /** The fraction of a second as written, without the dot ('' when there is none). */
  readonly fraction: string;
}

/** The parts of an RFC 3339 date-time, or null when `text` is not one. */
export function rfc3339Parts(text: string): Rfc3339Parts | null {
  const m = DATE_TIME.exec(text);
  if (m === null) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (m[8] === undefined) {
    const offsetHours = Number(m[10]);
    const offsetMins = Number(m[11]);
    if (offsetHours > 23 || offsetMins > 59) return null;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const utc = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999.
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, 0);
  return { secondsMs: utc.getTime() - offsetMinutes * 60_000, fraction: m[7] ?? '' };
}

/** Epoch milliseconds of an RFC 3339 date-time, or null when `text` is not one. */
export function parseRfc3339(text: string): number | null {
  const parts = rfc3339Parts(text);
  if (parts === null) return null;
  return parts.secondsMs + Number(parts.fraction.padEnd(3, '0').slice(0, 3));
}
