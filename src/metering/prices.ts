// The shipped price table: list prices in USD per million tokens, as the providers published them on the date
// below. Prices change; `pricing:` in the config overrides any of them (and adds models), and a backend's own
// `pricing` overrides its model's, so nobody has to wait for a release to bill correctly.
import type { Price } from '../config/cost-schema.ts';

export const PRICES_TAKEN_ON = '2025-08-01';

export interface ListedPrice extends Price {
  /** The most output tokens the model produces in one answer: the worst case a budget reserves without max_tokens. */
  readonly max_output_tokens?: number;
}

export const DEFAULT_PRICES: Readonly<Record<string, ListedPrice>> = {
  // OpenAI
  'gpt-5': { input: 1.25, cached_input: 0.125, output: 10, max_output_tokens: 128_000 },
  'gpt-5-mini': { input: 0.25, cached_input: 0.025, output: 2, max_output_tokens: 128_000 },
  'gpt-5-nano': { input: 0.05, cached_input: 0.005, output: 0.4, max_output_tokens: 128_000 },
  'gpt-4.1': { input: 2, cached_input: 0.5, output: 8, max_output_tokens: 32_768 },
  'gpt-4.1-mini': { input: 0.4, cached_input: 0.1, output: 1.6, max_output_tokens: 32_768 },
  'gpt-4.1-nano': { input: 0.1, cached_input: 0.025, output: 0.4, max_output_tokens: 32_768 },
  'gpt-4o': { input: 2.5, cached_input: 1.25, output: 10, max_output_tokens: 16_384 },
  'gpt-4o-mini': { input: 0.15, cached_input: 0.075, output: 0.6, max_output_tokens: 16_384 },
  o1: { input: 15, cached_input: 7.5, output: 60, max_output_tokens: 100_000 },
  o3: { input: 2, cached_input: 0.5, output: 8, max_output_tokens: 100_000 },
  'o3-mini': { input: 1.1, cached_input: 0.55, output: 4.4, max_output_tokens: 100_000 },
  'o4-mini': { input: 1.1, cached_input: 0.275, output: 4.4, max_output_tokens: 100_000 },
  'gpt-3.5-turbo': { input: 0.5, output: 1.5, max_output_tokens: 4_096 },
  'text-embedding-3-small': { input: 0.02, output: 0 },
  'text-embedding-3-large': { input: 0.13, output: 0 },
  'text-embedding-ada-002': { input: 0.1, output: 0 },
  // Anthropic (cached_input: cache reads)
  'claude-opus-4-1': { input: 15, cached_input: 1.5, output: 75, max_output_tokens: 32_000 },
  'claude-opus-4': { input: 15, cached_input: 1.5, output: 75, max_output_tokens: 32_000 },
  'claude-sonnet-4': { input: 3, cached_input: 0.3, output: 15, max_output_tokens: 64_000 },
  'claude-3-7-sonnet': { input: 3, cached_input: 0.3, output: 15, max_output_tokens: 64_000 },
  'claude-3-5-sonnet': { input: 3, cached_input: 0.3, output: 15, max_output_tokens: 8_192 },
  'claude-3-5-haiku': { input: 0.8, cached_input: 0.08, output: 4, max_output_tokens: 8_192 },
  'claude-3-haiku': { input: 0.25, cached_input: 0.03, output: 1.25, max_output_tokens: 4_096 },
};
