/** The two prompt languages CopyForge ships templates for. */
export type PromptLanguage = 'zh' | 'en';

const cjk = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/gu;

/** Share of CJK ideographs among non-space characters, 0..1. */
export function cjkRatio(text: string): number {
  const characters = text.replace(/\s+/gu, '');
  if (characters.length === 0) return 0;
  return (characters.match(cjk)?.length ?? 0) / [...characters].length;
}

/**
 * Picks the prompt language: the note's `lang` when given (zh-* → zh, else en), otherwise
 * Chinese when at least 20% of the text is CJK.
 */
export function detectLanguage(text: string, lang?: string): PromptLanguage {
  if (lang) return lang.toLowerCase().startsWith('zh') ? 'zh' : 'en';
  return cjkRatio(text) >= 0.2 ? 'zh' : 'en';
}
