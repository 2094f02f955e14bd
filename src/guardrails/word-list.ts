// Operator word and phrase lists: whole-word, case-insensitive matches.
import type { Detector } from './finding.ts';

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function wordListDetector(words: readonly string[]): Detector {
  if (words.length === 0) return () => [];
  const re = new RegExp(`(?<![\\p{L}\\p{N}])(?:${words.map(escape).join('|')})(?![\\p{L}\\p{N}])`, 'giu');
  return (text) => [...text.matchAll(re)].map((m) => ({ type: 'word_list', text: m[0], start: m.index, end: m.index + m[0].length, score: 1 }));
}
