// Remote guardrails: services that judge text where only a model can (Azure AI Content Safety and its Prompt
// Shields, OpenAI's moderation endpoint, any model as a judge). Each call is bounded by the guardrail's timeout; a
// service that fails or is late is the guardrail failing, which its on_error setting turns into a pass or a block.
import { request } from 'undici';
import type { GuardrailConfig } from '../../config/guardrails-schema.ts';
import type { Finding } from '../finding.ts';
import { azureContentSafety, azurePromptShields } from './azure-content-safety.ts';
import { llmJudge } from './llm-judge.ts';
import { openaiModeration } from './openai-moderation.ts';
import { azurePii, presidio } from './pii-services.ts';

export type RemoteHit = Omit<Finding, 'guardrail'>;
export type RemoteCheck = (text: string, signal: AbortSignal) => Promise<RemoteHit[]>;

export class RemoteGuardrailError extends Error {}

/** POSTs JSON and returns the parsed answer; any non-2xx or unparsable answer is a RemoteGuardrailError. */
export async function postJson(url: string, headers: Record<string, string>, body: unknown, signal: AbortSignal): Promise<unknown> {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), signal });
  const text = await res.body.text();
  if (res.statusCode < 200 || res.statusCode >= 300) throw new RemoteGuardrailError(`${new URL(url).host} answered HTTP ${res.statusCode}`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new RemoteGuardrailError(`${new URL(url).host} answered something that is not JSON`);
  }
}

/** The whole text as the finding's place: remote services judge a text, they do not point into it. */
export const whole = (text: string, type: string, score: number): RemoteHit => ({ type, text: text.slice(0, 200), start: 0, end: text.length, score });

export function remoteCheck(config: GuardrailConfig): RemoteCheck | undefined {
  const endpoint = config.endpoint?.replace(/\/+$/, '');
  if (endpoint === undefined) return undefined;
  switch (config.type) {
    case 'azure_content_safety':
      return azureContentSafety(endpoint, config.api_key ?? '', config.severity);
    case 'azure_prompt_shields':
      return azurePromptShields(endpoint, config.api_key ?? '');
    case 'openai_moderation':
      return openaiModeration(endpoint, config.api_key ?? '', config.model ?? 'omni-moderation-latest');
    case 'llm_judge':
      return llmJudge(endpoint, config.api_key ?? '', config.model ?? 'llama-guard');
    case 'presidio':
      return presidio(endpoint);
    case 'azure_pii':
      return azurePii(endpoint, config.api_key ?? '');
    default:
      return undefined;
  }
}
