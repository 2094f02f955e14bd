// What the model wrote in a chat.completion body: its messages' text, refusals and tool-call arguments. Checks that
// judge the words (answer-level and remote guardrails, the cache's personal-data check) read this, not the JSON
// around it, whose numbers (`created`, token counts) would read as phone numbers to a detector.

interface Completion {
  choices?: { message?: { content?: unknown; refusal?: unknown; tool_calls?: { function?: { arguments?: unknown } }[] } }[];
}

/** The body parsed, or undefined when it is not JSON. */
export function parseCompletion(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The generated text, its parts separated by blank lines; undefined when the body is not JSON. */
export function answerText(body: Buffer): string | undefined {
  const completion = parseCompletion(body);
  return completion === undefined ? undefined : completionText(completion);
}

/** The generated text of a parsed body (empty for one with no choices). */
export function completionText(completion: unknown): string {
  const parts: string[] = [];
  for (const choice of (completion as Completion | null)?.choices ?? []) {
    const m = choice.message;
    if (typeof m?.content === 'string') parts.push(m.content);
    if (typeof m?.refusal === 'string') parts.push(m.refusal);
    for (const call of m?.tool_calls ?? []) if (typeof call.function?.arguments === 'string') parts.push(call.function.arguments);
  }
  return parts.join('\n\n');
}
