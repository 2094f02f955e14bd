// Provider name (as written in the config) → the adapter that speaks its protocol.
import type { ProviderKind } from '../config/schema.ts';
import type { ProviderAdapter } from './adapter.ts';
import { createOpenAICompatibleAdapter } from './openai-compatible/adapter.ts';
import { anthropicAdapter } from './anthropic/adapter.ts';

const openai = createOpenAICompatibleAdapter('openai');

const ADAPTERS: Readonly<Record<ProviderKind, ProviderAdapter>> = {
  openai,
  'azure-openai': createOpenAICompatibleAdapter('azure-openai'),
  anthropic: anthropicAdapter,
  // The simulator speaks OpenAI's protocol over real HTTP, so it goes through the same adapter as OpenAI.
  simulator: openai,
};

export function adapterFor(provider: ProviderKind): ProviderAdapter {
  return ADAPTERS[provider];
}
