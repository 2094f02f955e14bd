// Azure AI Content Safety: text analysis (hate, self-harm, sexual, violence, each with a severity) and Prompt
// Shields (direct and indirect prompt attacks).
import type { RemoteCheck } from './remote-check.ts';
import { postJson, whole } from './remote-check.ts';

const API_VERSION = '2024-09-01';

export function azureContentSafety(endpoint: string, key: string, minSeverity: number): RemoteCheck {
  const url = `${endpoint}/contentsafety/text:analyze?api-version=${API_VERSION}`;
  return async (text, signal) => {
    const answer = (await postJson(url, { 'ocp-apim-subscription-key': key }, { text: text.slice(0, 10_000), outputType: 'FourSeverityLevels' }, signal)) as {
      categoriesAnalysis?: { category?: string; severity?: number }[];
    };
    return (answer.categoriesAnalysis ?? [])
      .filter((c) => typeof c.severity === 'number' && c.severity >= minSeverity)
      .map((c) => whole(text, `content_safety:${String(c.category).toLowerCase()}`, Math.min(1, (c.severity ?? 0) / 6)));
  };
}

export function azurePromptShields(endpoint: string, key: string): RemoteCheck {
  const url = `${endpoint}/contentsafety/text:shieldPrompt?api-version=${API_VERSION}`;
  return async (text, signal) => {
    const answer = (await postJson(url, { 'ocp-apim-subscription-key': key }, { userPrompt: text.slice(0, 10_000), documents: [] }, signal)) as {
      userPromptAnalysis?: { attackDetected?: boolean };
      documentsAnalysis?: { attackDetected?: boolean }[];
    };
    const attacked = answer.userPromptAnalysis?.attackDetected === true || (answer.documentsAnalysis ?? []).some((d) => d.attackDetected === true);
    return attacked ? [whole(text, 'prompt_shields:attack', 1)] : [];
  };
}
