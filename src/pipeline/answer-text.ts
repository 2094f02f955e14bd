// What the model wrote in a chat.completion body: its messages' text, refusals and tool-call arguments. Checks that
// judge the words (answer-level and remote guardrails, the cache's personal-data check) read this, not the JSON
// around it, whose numbers (`created`, token counts) would read as phone numbers to a detector.

interface Completion {
  choices?: { message?: { content?: unknown; refusal?: unknown; tool_calls?: { function?: { arguments?: unknown } }[] } }[];
}

/** The generated text, its parts separated by blank lines; undefined when the body is not JSON. */
export function answerText(body: Buffer): string | undefined {
  let completion: Completion;
  try {
    completion = JSON.parse(body.toString('utf8')) as Completion;
  } catch {
    return undefined;
  }
  const parts: string[] = [];
  for (const choice of completion.choices ?? []) {
    const m = choice.message;
    if (typeof m?.content === 'string') parts.push(m.content);
    if (typeof m?.refusal === 'string') parts.push(m.refusal);
    for (const call of m?.tool_calls ?? []) if (typeof call.function?.arguments === 'string') parts.push(call.function.arguments);
  }
  return parts.join('\n\n');
}
