// The text of a chat message's `content`, as OpenAI shapes it: a string, or parts whose text parts are joined (images
// and files have none). What the token count and the cache's personal-data check read.
export function messageText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const part of content) {
    const p = part as { type?: unknown; text?: unknown };
    if (p?.type === 'text' && typeof p.text === 'string') text += p.text;
  }
  return text;
}
