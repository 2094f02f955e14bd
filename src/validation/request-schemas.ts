// The body of POST /v1/chat/completions as OpenAI documents it. Known fields are checked strictly (types, ranges);
// fields the gateway does not know pass through, because providers accept extensions (vLLM's `top_k`, …).
import { Type } from '@sinclair/typebox';

const Text = Type.String();
const ContentPart = Type.Object({ type: Type.String({ minLength: 1 }) }, { additionalProperties: true });
const Content = Type.Union([Text, Type.Array(ContentPart), Type.Null()]);

const ToolCall = Type.Object(
  {
    id: Type.String(),
    type: Type.String(),
    function: Type.Object({ name: Type.String(), arguments: Type.String() }, { additionalProperties: true }),
  },
  { additionalProperties: true },
);

const Message = Type.Object(
  {
    role: Type.Unsafe<string>({ type: 'string', enum: ['system', 'developer', 'user', 'assistant', 'tool', 'function'] }),
    content: Type.Optional(Content),
    name: Type.Optional(Type.String()),
    tool_calls: Type.Optional(Type.Array(ToolCall)),
    tool_call_id: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

const Tool = Type.Object(
  {
    type: Type.String(),
    function: Type.Optional(
      Type.Object({ name: Type.String({ minLength: 1 }), description: Type.Optional(Type.String()), parameters: Type.Optional(Type.Object({}, { additionalProperties: true })) }, { additionalProperties: true }),
    ),
  },
  { additionalProperties: true },
);

export const ChatRequestSchema = Type.Object(
  {
    model: Type.String({ minLength: 1 }),
    messages: Type.Array(Message, { minItems: 1 }),
    stream: Type.Optional(Type.Boolean()),
    stream_options: Type.Optional(Type.Union([Type.Object({ include_usage: Type.Optional(Type.Boolean()) }, { additionalProperties: true }), Type.Null()])),
    max_tokens: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
    max_completion_tokens: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
    temperature: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 2 }), Type.Null()])),
    top_p: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()])),
    n: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 128 }), Type.Null()])),
    stop: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String(), { maxItems: 4 }), Type.Null()])),
    presence_penalty: Type.Optional(Type.Union([Type.Number({ minimum: -2, maximum: 2 }), Type.Null()])),
    frequency_penalty: Type.Optional(Type.Union([Type.Number({ minimum: -2, maximum: 2 }), Type.Null()])),
    logit_bias: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Number()), Type.Null()])),
    logprobs: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    top_logprobs: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 20 }), Type.Null()])),
    seed: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
    user: Type.Optional(Type.String()),
    tools: Type.Optional(Type.Array(Tool)),
    tool_choice: Type.Optional(Type.Union([Type.String(), Type.Object({}, { additionalProperties: true })])),
    parallel_tool_calls: Type.Optional(Type.Boolean()),
    response_format: Type.Optional(Type.Object({ type: Type.String() }, { additionalProperties: true })),
  },
  { additionalProperties: true },
);

export const EmbeddingsRequestSchema = Type.Object(
  {
    model: Type.String({ minLength: 1 }),
    input: Type.Union([
      Type.String(),
      Type.Array(Type.String(), { minItems: 1, maxItems: 2048 }),
      Type.Array(Type.Integer(), { minItems: 1 }),
      Type.Array(Type.Array(Type.Integer(), { minItems: 1 }), { minItems: 1, maxItems: 2048 }),
    ]),
    encoding_format: Type.Optional(Type.Unsafe<string>({ type: 'string', enum: ['float', 'base64'] })),
    dimensions: Type.Optional(Type.Integer({ minimum: 1 })),
    user: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
