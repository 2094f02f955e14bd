// An OpenAI-style upstream whose answers a test scripts, on loopback, and the config that routes model "m" to it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatRequest {
  stream?: boolean;
  messages: { content: string }[];
}

export async function startScriptedUpstream(answer: (request: ChatRequest, res: ServerResponse) => void | Promise<void>): Promise<Server> {
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => void answer(JSON.parse(body) as ChatRequest, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** The `models:` section for model "m" served by `upstream`. */
export function modelAt(upstream: Server): string {
  return `models:\n  m:\n    backends:\n      - provider: openai\n        base_url: http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1\n        api_key: sk-upstream\n`;
}
