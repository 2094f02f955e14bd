// API-key checks, each protocol with its own header, so a gateway that sends the wrong one for a provider fails here
// the way it would against the real upstream.
import type { IncomingHttpHeaders } from 'node:http';
import type { Dialect } from './protocol-errors.ts';

export function hasApiKey(dialect: Dialect, headers: IncomingHttpHeaders, apiKey: string): boolean {
  switch (dialect) {
    case 'openai':
      return headers.authorization === `Bearer ${apiKey}`;
    case 'azure':
      return headers['api-key'] === apiKey;
    case 'anthropic':
      return headers['x-api-key'] === apiKey;
  }
}

export function authFailureMessage(dialect: Dialect): string {
  switch (dialect) {
    case 'openai':
      return 'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.';
    case 'azure':
      return 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.';
    case 'anthropic':
      return 'invalid x-api-key';
  }
}
