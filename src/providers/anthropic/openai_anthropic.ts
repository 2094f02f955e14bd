// OpenAI Chat Completions request → Anthropic Messages request. The two protocols differ in shape more than in
// meaning: Anthropic keeps the system prompt out of the turn list, demands strictly alternating user/assistant turns,
// carries tool calls and tool results as content blocks, and requires `max_tokens`. Parameters with no Anthropic
// equivalent are dropped rather than refused, so a client written for OpenAI keeps working; the one exception is
// `n` > 1, where silently returning a single choice would break a client that indexes `choices[1]`.
import { GatewayError } from '../../errors.ts';

type Block = Record<string, unknown>;

interface Turn {
  readonly role: 'user' | 'assistant';
  content: string | Block[];
}

/** Anthropic has no default output budget; OpenAI's is "until the context is full". 4096 fits every Claude model. */
export const DEFAULT_MAX_TOKENS = 4096;

export function openaiToAnthropicRequest(
  body: Readonly<Record<string, unknown>>,
  upstreamModel: string,
): Record<string, unknown> {
  if (typeof body.n === 'number' && body.n > 1) {
    throw invalid('Anthropic models return a single choice per request: n must be 1', 'n');
  }
  const { system, messages } = translateMessages(body.messages);
  const out: Record<string, unknown> = { model: upstreamModel, max_tokens: maxTokens(body) };
  if (system !== undefined) out.system = system;
  out.messages = messages;

  const tools = translateTools(body.tools);
  if (tools !== undefined) {
    out.tools = tools;
    // A tool_choice without tools is meaningless and Anthropic rejects it, so it is only sent alongside tools.
    const choice = translateToolChoice(body.tool_choice, body.parallel_tool_calls);
    if (choice !== undefined) out.tool_choice = choice;
  }
  if (typeof body.temperature === 'number') {
    // OpenAI accepts 0..2, Anthropic 0..1. Clamping keeps "deterministic" and "creative" requests meaningful
    // where rejecting them would break clients that send OpenAI's range.
    out.temperature = Math.min(Math.max(body.temperature, 0), 1);
  }
  if (typeof body.top_p === 'number') out.top_p = body.top_p;
  const stop = stopSequences(body.stop);
  if (stop !== undefined) out.stop_sequences = stop;
  if (typeof body.user === 'string' && body.user !== '') out.metadata = { user_id: body.user };
  if (typeof body.stream === 'boolean') out.stream = body.stream;
  return out;
}

function maxTokens(body: Readonly<Record<string, unknown>>): number {
  // max_completion_tokens is OpenAI's current name; max_tokens the deprecated one. Prefer the newer when both exist.
  if (typeof body.max_completion_tokens === 'number') return body.max_completion_tokens;
  if (typeof body.max_tokens === 'number') return body.max_tokens;
  return DEFAULT_MAX_TOKENS;
}

function translateMessages(raw: unknown): { system: string | undefined; messages: Turn[] } {
  if (!Array.isArray(raw)) throw invalid('messages must be an array', 'messages');
  const system: string[] = [];
  const turns: Turn[] = [];
  for (let i = 0; i < raw.length; i++) {
    const m: unknown = raw[i];
    const path = `messages[${i}]`;
    if (!isRecord(m)) throw invalid(`${path} must be an object`, path);
    switch (m.role) {
      case 'system':
      case 'developer': {
        // Anthropic has one system prompt, outside the turns: every system message is hoisted into it, in order.
        const text = flattenText(m.content, `${path}.content`);
        if (text !== '') system.push(text);
        break;
      }
      case 'user':
        appendTurn(turns, 'user', userContent(m.content, `${path}.content`));
        break;
      case 'assistant':
        appendTurn(turns, 'assistant', assistantContent(m, path));
        break;
      case 'tool':
        // Anthropic returns tool results from the user's side of the conversation.
        appendTurn(turns, 'user', [toolResult(m, path)]);
        break;
      default:
        throw invalid(`${path}.role '${String(m.role)}' is not supported by Anthropic models`, `${path}.role`);
    }
  }
  return { system: system.length > 0 ? system.join('\n\n') : undefined, messages: turns };
}

/** Anthropic requires alternating roles: a turn of the same role as the previous one is merged into it. */
function appendTurn(turns: Turn[], role: Turn['role'], content: string | Block[]): void {
  // An empty turn carries nothing and Anthropic rejects empty content, so it is skipped (its neighbours may merge).
  if (content.length === 0) return;
  const last = turns[turns.length - 1];
  if (last === undefined || last.role !== role) {
    turns.push({ role, content });
    return;
  }
  // The block arrays are our own, so merging appends in place instead of copying on every merge.
  const into = typeof last.content === 'string' ? (last.content = [textBlock(last.content)]) : last.content;
  if (typeof content === 'string') into.push(textBlock(content));
  else for (const block of content) into.push(block);
}

function userContent(content: unknown, path: string): string | Block[] {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw invalid(`${path} must be a string or an array of content parts`, path);
  const blocks: Block[] = [];
  for (let i = 0; i < content.length; i++) {
    const part: unknown = content[i];
    const partPath = `${path}[${i}]`;
    if (!isRecord(part)) throw invalid(`${partPath} must be an object`, partPath);
    if (part.type === 'text' && typeof part.text === 'string') {
      if (part.text !== '') blocks.push(textBlock(part.text)); // Anthropic rejects empty text blocks
    } else if (part.type === 'image_url' && isRecord(part.image_url) && typeof part.image_url.url === 'string') {
      blocks.push(imageBlock(part.image_url.url, `${partPath}.image_url.url`));
    } else {
      // Audio and file parts have no Anthropic Messages equivalent; dropping them would change the question asked.
      throw invalid(`${partPath}: content part type '${String(part.type)}' is not supported by Anthropic models`, partPath);
    }
  }
  return blocks;
}

function imageBlock(url: string, path: string): Block {
  if (url.startsWith('data:')) {
    // data:<media type>;base64,<data>. Sliced with indexOf rather than a regex: images are megabytes of base64.
    const comma = url.indexOf(',');
    const header = comma < 0 ? '' : url.slice(5, comma);
    if (!header.endsWith(';base64')) throw invalid(`${path}: only base64 data URLs are supported`, path);
    return {
      type: 'image',
      source: { type: 'base64', media_type: header.slice(0, -';base64'.length), data: url.slice(comma + 1) },
    };
  }
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  throw invalid(`${path}: an image must be a data: URL or an http(s) URL`, path);
}

function assistantContent(m: Readonly<Record<string, unknown>>, path: string): string | Block[] {
  const text = m.content == null ? '' : flattenText(m.content, `${path}.content`);
  const calls = m.tool_calls;
  if (!Array.isArray(calls) || calls.length === 0) return text;
  const blocks: Block[] = text === '' ? [] : [textBlock(text)];
  for (let i = 0; i < calls.length; i++) blocks.push(toolUse(calls[i], `${path}.tool_calls[${i}]`));
  return blocks;
}

function toolUse(call: unknown, path: string): Block {
  if (!isRecord(call) || !isRecord(call.function)) throw invalid(`${path} must be a function tool call`, path);
  const fn = call.function;
  if (typeof call.id !== 'string' || typeof fn.name !== 'string') {
    throw invalid(`${path} needs an id and a function name`, path);
  }
  return { type: 'tool_use', id: call.id, name: fn.name, input: parseArguments(fn.arguments) };
}

/**
 * Anthropic wants the call's input as an object. Arguments that are empty, not JSON, or not an object (a model cut
 * off by max_tokens leaves truncated JSON, and clients replay it verbatim) become `{}`: refusing would make the whole
 * conversation unusable, and the tool_result that follows still tells the model what happened.
 */
function parseArguments(args: unknown): Record<string, unknown> {
  if (typeof args !== 'string' || args === '') return {};
  try {
    const parsed: unknown = JSON.parse(args);
    return isRecord(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

function toolResult(m: Readonly<Record<string, unknown>>, path: string): Block {
  if (typeof m.tool_call_id !== 'string') throw invalid(`${path}.tool_call_id is required`, `${path}.tool_call_id`);
  const block: Block = { type: 'tool_result', tool_use_id: m.tool_call_id };
  const text = m.content == null ? '' : flattenText(m.content, `${path}.content`);
  if (text !== '') block.content = text; // content is optional for Anthropic, and an empty string is rejected
  return block;
}

/** A string, or text parts joined with newlines (assistant refusal parts count as text). */
function flattenText(content: unknown, path: string): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw invalid(`${path} must be a string or an array of text parts`, path);
  const texts: string[] = [];
  for (const part of content) {
    if (isRecord(part) && part.type === 'text' && typeof part.text === 'string') texts.push(part.text);
    else if (isRecord(part) && part.type === 'refusal' && typeof part.refusal === 'string') texts.push(part.refusal);
    else throw invalid(`${path} may only contain text parts here`, path);
  }
  return texts.join('\n');
}

function translateTools(raw: unknown): Block[] | undefined {
  if (!Array.isArray(raw)) return undefined;
  const tools: Block[] = [];
  for (const tool of raw) {
    // Only function tools have an Anthropic equivalent; OpenAI's hosted tools (custom, etc.) are dropped.
    if (!isRecord(tool) || tool.type !== 'function' || !isRecord(tool.function)) continue;
    const fn = tool.function;
    if (typeof fn.name !== 'string') throw invalid('tools[].function.name is required', 'tools');
    const out: Block = { name: fn.name };
    if (typeof fn.description === 'string') out.description = fn.description;
    // Anthropic requires a schema; OpenAI lets a parameterless function omit it.
    out.input_schema = isRecord(fn.parameters) ? fn.parameters : { type: 'object', properties: {} };
    tools.push(out);
  }
  return tools.length > 0 ? tools : undefined;
}

function translateToolChoice(choice: unknown, parallel: unknown): Block | undefined {
  let out: Block | undefined;
  if (choice === 'auto') out = { type: 'auto' };
  else if (choice === 'required') out = { type: 'any' };
  else if (choice === 'none') out = { type: 'none' };
  else if (isRecord(choice) && isRecord(choice.function) && typeof choice.function.name === 'string') {
    out = { type: 'tool', name: choice.function.name };
  } else if (choice != null) {
    throw invalid("tool_choice must be 'auto', 'required', 'none' or a named function", 'tool_choice');
  }
  if (parallel === false) {
    // Anthropic carries this flag on tool_choice; OpenAI's default choice is "auto". "none" calls no tool at all.
    out ??= { type: 'auto' };
    if (out.type !== 'none') out.disable_parallel_tool_use = true;
  }
  return out;
}

function stopSequences(stop: unknown): string[] | undefined {
  if (typeof stop === 'string') return stop === '' ? undefined : [stop];
  if (!Array.isArray(stop)) return undefined;
  const out = stop.filter((s): s is string => typeof s === 'string' && s !== '');
  return out.length > 0 ? out : undefined;
}

function textBlock(text: string): Block {
  return { type: 'text', text };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string, param: string): GatewayError {
  return new GatewayError('invalid_request', message, { param });
}
