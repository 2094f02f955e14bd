// Anthropic's Messages API: the non-streamed message and the streamed event sequence (message_start,
// content_block_start, ping, content_block_delta…, content_block_stop, message_delta, message_stop) in the framing
// the real API uses, `event: NAME` then `data: JSON`.
import { isRecord, optionalBoolean, optionalPositiveInt, requiredArray, requiredString } from './fields.ts';
import { delay, sendJson } from './http-io.ts';
import { SimulatorHttpError } from './protocol-errors.ts';
import type { RequestContext } from './request-context.ts';
import { generationMs, streamSse } from './sse-stream.ts';
import { chunkCount, chunkText, completionText, contentChars, estimateTokens } from './text.ts';

type Body = Readonly<Record<string, unknown>>;

function event(name: string, data: string): string {
  return `event: ${name}\ndata: ${data}\n\n`;
}

/** The system prompt (a string or text blocks) plus every message's text. */
function inputTokens(body: Body, messages: readonly unknown[]): number {
  let chars = contentChars(body['system']);
  for (const message of messages) if (isRecord(message)) chars += contentChars(message['content']);
  return estimateTokens(chars);
}

export async function handleMessages(ctx: RequestContext, body: Body): Promise<void> {
  const model = requiredString(body, 'model');
  const messages = requiredArray(body, 'messages');
  // Unlike OpenAI, Anthropic has no default answer length: max_tokens is mandatory.
  const maxTokens = optionalPositiveInt(body, 'max_tokens');
  if (maxTokens === undefined) throw new SimulatorHttpError(400, 'max_tokens: Field required', 'max_tokens');
  const stream = optionalBoolean(body, 'stream');

  const natural = ctx.settings.completion_tokens;
  const chunkTokens = ctx.settings.chunk_tokens;
  const tokens = Math.min(maxTokens, natural);
  const stopReason = tokens < natural ? 'max_tokens' : 'end_turn';
  const input = inputTokens(body, messages);

  const outcome = await ctx.gate(stream);
  if (outcome === 'done') return;
  const id = `msg_${ctx.id}`;

  if (!stream) {
    if (!(await delay(generationMs(ctx.settings, tokens), ctx.signal))) return;
    sendJson(
      ctx.res,
      200,
      JSON.stringify({
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [{ type: 'text', text: completionText(tokens) }],
        stop_reason: stopReason,
        stop_sequence: null,
        usage: { input_tokens: input, output_tokens: tokens },
      }),
    );
    return;
  }

  const start = {
    type: 'message_start',
    // The real API reports a token or so of output already in message_start; the final count is in message_delta.
    message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: input, output_tokens: 1 } },
  };
  await streamSse(
    ctx,
    {
      head: [
        event('message_start', JSON.stringify(start)),
        event('content_block_start', '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}'),
        event('ping', '{"type":"ping"}'),
      ],
      chunks: chunkCount(tokens, chunkTokens),
      chunk: (i) =>
        event(
          'content_block_delta',
          `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":${JSON.stringify(chunkText(i, tokens, chunkTokens))}}}`,
        ),
      tail: [
        event('content_block_stop', '{"type":"content_block_stop","index":0}'),
        event(
          'message_delta',
          JSON.stringify({ type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: tokens } }),
        ),
        event('message_stop', '{"type":"message_stop"}'),
      ],
    },
    outcome === 'cut',
  );
}
