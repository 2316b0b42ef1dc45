/**
 * The first key that appears twice in one object of a JSON text, or `undefined`. `JSON.parse`
 * keeps the last of duplicate keys silently; an unconstrained fine-tuned model can write
 * `{"title": "a", "title": "b"}`, and validation must see that rather than a clean object.
 * Expects text `JSON.parse` accepted (it does not validate JSON itself).
 */
export function duplicateJsonKey(text: string): string | undefined {
  // One set of keys per open object; arrays push `undefined` so nesting lines up.
  const stack: (Set<string> | undefined)[] = [];
  let expectingKey = false;
  for (let index = 0; index < text.length; index++) {
    const character = text[index];
    if (character === '"') {
      let end = index + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const top = stack.at(-1);
      if (expectingKey && top) {
        const key = JSON.parse(text.slice(index, end + 1)) as string;
        if (top.has(key)) return key;
        top.add(key);
        expectingKey = false;
      }
      index = end;
    } else if (character === '{') {
      stack.push(new Set());
      expectingKey = true;
    } else if (character === '[') {
      stack.push(undefined);
    } else if (character === '}' || character === ']') {
      stack.pop();
    } else if (character === ',') {
      expectingKey = stack.at(-1) !== undefined;
    }
  }
  return undefined;
}

/** What {@link parseModelJson} found: the value, or why the text is not one. */
export type ModelJson = { ok: true; value: unknown } | { ok: false; reason: string };

/**
 * Parses JSON a model wrote: `JSON.parse`, then the duplicate-key rule of
 * {@link duplicateJsonKey}. Every place that reads model output as JSON goes through here,
 * so a model's `{"title": "a", "title": "b"}` is invalid output everywhere, never half of it.
 */
export function parseModelJson(text: string): ModelJson {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
  const duplicate = duplicateJsonKey(text);
  if (duplicate !== undefined) return { ok: false, reason: `the key "${duplicate}" appears twice in one object` };
  return { ok: true, value };
}
