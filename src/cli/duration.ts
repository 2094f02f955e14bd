// Durations as people write them on a command line or in an API call: "30d", "12h", "90m", "45s", "2w".
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** Throws a plain Error with a message naming the expected form; callers wrap it in their own error kind. */
export function parseDuration(text: string): number {
  const match = /^(\d+)\s*([smhdw])$/.exec(text.trim());
  if (!match) throw new RangeError(`expected a duration like 30d, 12h or 90m, got "${text}"`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}
