import type { ChatMessageV1 } from '../../spec/model-backend-v1.js';

/**
 * Renders chat messages as one plain document ending where the answer starts. The
 * llama.cpp backend uses it for base models without a chat template (such as the default
 * model), and the dataset builders use it so training prompts match inference prompts.
 */
export function renderCompletionPrompt(messages: readonly ChatMessageV1[]): string {
  const parts = messages.map((message) =>
    message.role === 'assistant' ? `Answer:\n${message.content}` : message.content.trim(),
  );
  return `${parts.join('\n\n')}\n\nAnswer:\n`;
}
