// Profanity from a maintained list (the `obscenity` package: English words with their obfuscated spellings, and the
// whitelisting that keeps "Scunthorpe" or "assassin" clean). Built on first use: most policies never need it.
import { englishDataset, englishRecommendedTransformers, RegExpMatcher } from 'obscenity';
import type { Detector } from './finding.ts';

let matcher: RegExpMatcher | undefined;

export const detectProfanity: Detector = (text) => {
  matcher ??= new RegExpMatcher({ ...englishDataset.build(), ...englishRecommendedTransformers });
  const seen = new Set<number>();
  const out: ReturnType<Detector> = [];
  for (const m of matcher.getAllMatches(text, true)) {
    if (seen.has(m.startIndex)) continue;
    seen.add(m.startIndex);
    // obscenity's end index is inclusive.
    out.push({ type: 'profanity', text: text.slice(m.startIndex, m.endIndex + 1), start: m.startIndex, end: m.endIndex + 1, score: 1 });
  }
  return out;
};
