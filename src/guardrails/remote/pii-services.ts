// PII services for what local patterns cannot find well (person names, postal addresses, organisations): a Presidio
// analyzer, or Azure AI Language PII recognition. Both return spans, so findings point into the text.
import type { RemoteCheck, RemoteHit } from './remote-check.ts';
import { postJson } from './remote-check.ts';

export function presidio(endpoint: string, language = 'en'): RemoteCheck {
  const url = `${endpoint}/analyze`;
  return async (text, signal) => {
    const answer = (await postJson(url, {}, { text, language }, signal)) as { entity_type?: string; start?: number; end?: number; score?: number }[];
    if (!Array.isArray(answer)) return [];
    return answer
      .filter((e) => typeof e.start === 'number' && typeof e.end === 'number')
      .map((e): RemoteHit => ({ type: `pii:${String(e.entity_type).toLowerCase()}`, text: text.slice(e.start, e.end), start: e.start!, end: e.end!, score: e.score ?? 1 }));
  };
}

export function azurePii(endpoint: string, key: string, language = 'en'): RemoteCheck {
  const url = `${endpoint}/language/:analyze-text?api-version=2023-04-01`;
  return async (text, signal) => {
    const body = { kind: 'PiiEntityRecognition', analysisInput: { documents: [{ id: '1', language, text: text.slice(0, 5_000) }] } };
    const answer = (await postJson(url, { 'ocp-apim-subscription-key': key }, body, signal)) as {
      results?: { documents?: { entities?: { text?: string; category?: string; offset?: number; length?: number; confidenceScore?: number }[] }[] };
    };
    return (answer.results?.documents?.[0]?.entities ?? [])
      .filter((e) => typeof e.offset === 'number' && typeof e.length === 'number')
      .map((e): RemoteHit => ({ type: `pii:${String(e.category).toLowerCase()}`, text: e.text ?? '', start: e.offset!, end: e.offset! + e.length!, score: e.confidenceScore ?? 1 }));
  };
}
