import { addCounter, type CorpusDocument, type DocumentStage, type StageStats } from './stage.js';
import { stripTrackingParameters } from './urls.js';

/** Kinds of personal data the scrubber replaces. */
export type PiiType = 'email' | 'tracking-url' | 'id-card' | 'bank-card' | 'phone' | 'landline' | 'wechat' | 'qq';

/** Every {@link PiiType}, in the order they are scrubbed. */
export const piiTypes: readonly PiiType[] = [
  'email',
  'tracking-url',
  'id-card',
  'bank-card',
  'phone',
  'landline',
  'wechat',
  'qq',
];

/** The default typed placeholders. */
export const defaultPiiPlaceholders: Readonly<Record<PiiType, string>> = Object.freeze({
  email: '<EMAIL>',
  'tracking-url': '<URL>',
  'id-card': '<ID_CARD>',
  'bank-card': '<BANK_CARD>',
  phone: '<PHONE>',
  landline: '<TEL>',
  wechat: '<WECHAT>',
  qq: '<QQ>',
});

/** Options of the PII scrub stage. */
export interface PiiOptions {
  /**
   * Which kinds to scrub.
   * @default every PiiType
   * @example ['phone', 'email']
   */
  types?: PiiType[];
  /**
   * Placeholders per kind.
   * @default defaultPiiPlaceholders
   * @example { phone: '[电话]' }
   */
  placeholders?: Partial<Record<PiiType, string>>;
}

const idCardWeights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const idCardCheckDigits = '10X98765432';

/** True when an 18-character mainland ID number has a valid ISO 7064 MOD 11-2 check digit. */
export function isValidIdCardNumber(value: string): boolean {
  if (!/^\d{17}[\dXx]$/.test(value)) return false;
  let sum = 0;
  for (let index = 0; index < 17; index++) sum += (value.charCodeAt(index) - 48) * idCardWeights[index]!;
  return idCardCheckDigits[sum % 11] === value[17]!.toUpperCase();
}

/** True when a digit string passes the Luhn check used by bank cards. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let index = digits.length - 1; index >= 0; index--) {
    let digit = digits.charCodeAt(index) - 48;
    if (digit < 0 || digit > 9) return false;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

const patterns: Record<PiiType, RegExp> = {
  email: /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g,
  'tracking-url': /https?:\/\/[^\s<>"'，。！？、；（）【】《》]+/giu,
  'id-card':
    /(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])/g,
  'bank-card': /(?<![\d-])[3-6]\d{3}(?:[ -]?\d){12,15}(?![\d-])/g,
  phone: /(?<![\d+])(?:(?:\+|00)86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)/g,
  landline: /(?<![\d+])(?:\(0\d{2,3}\)|0\d{2,3}-|0\d{2,3} )?[2-9]\d{6,7}(?!\d)|(?<!\d)0\d{2,3}[2-9]\d{6,7}(?!\d)/g,
  wechat:
    /(?<![A-Za-z])(?:微信号?|weixin|wechat|vx|v信|wx|薇信|威信|加v)\s*(?:号)?\s*[:：]?\s*([A-Za-z][-_A-Za-z0-9]{5,19})(?![-_A-Za-z0-9])/giu,
  qq: /(?<![A-Za-z])(?:qq|扣扣|企鹅)(?:号|群)?\s*[:：]?\s*([1-9]\d{4,11})(?!\d)/giu,
};

/** Whether a landline match is a real area-coded number and not a bare 7–8 digit run. */
function hasAreaCode(match: string): boolean {
  return match.startsWith('0') || match.startsWith('(0');
}

/**
 * Replaces personal data with typed placeholders: e-mails, URLs carrying tracking
 * parameters, ID-card numbers (checksum verified), bank cards (Luhn verified, 16–19
 * digits), mainland mobiles (+86 optional, spaces or dashes allowed), area-coded
 * landlines, and WeChat / QQ ids introduced by a keyword (微信, vx, QQ, 扣扣...).
 *
 * @example
 * scrubPii('电话13812345678').text; // '电话<PHONE>'
 */
export function scrubPii(
  text: string,
  options: PiiOptions = {},
): { text: string; counts: Partial<Record<PiiType, number>> } {
  const types = options.types ?? piiTypes;
  const placeholders = { ...defaultPiiPlaceholders, ...options.placeholders };
  const counts: Partial<Record<PiiType, number>> = {};
  let result = text;
  for (const type of piiTypes) {
    if (!types.includes(type)) continue;
    const placeholder = placeholders[type];
    result = result.replace(patterns[type], (match: string, group?: unknown) => {
      let replacement: string | undefined;
      switch (type) {
        case 'tracking-url':
          if (stripTrackingParameters(match).removed > 0) replacement = placeholder;
          break;
        case 'id-card':
          if (isValidIdCardNumber(match)) replacement = placeholder;
          break;
        case 'bank-card': {
          const digits = match.replace(/[ -]/g, '');
          if (digits.length >= 16 && digits.length <= 19 && passesLuhn(digits)) replacement = placeholder;
          break;
        }
        case 'landline':
          if (hasAreaCode(match)) replacement = placeholder;
          break;
        case 'wechat':
        case 'qq': {
          const id = typeof group === 'string' ? group : '';
          replacement = `${match.slice(0, match.length - id.length)}${placeholder}`;
          break;
        }
        default:
          replacement = placeholder;
      }
      if (replacement === undefined) return match;
      counts[type] = (counts[type] ?? 0) + 1;
      return replacement;
    });
  }
  return { text: result, counts };
}

/** The PII scrub stage; counters per {@link PiiType}, and `documents` with any PII. */
export function createPiiStage(options: PiiOptions = {}): DocumentStage {
  return {
    name: 'pii',
    apply(document: CorpusDocument, stats: StageStats) {
      const { text, counts } = scrubPii(document.text, options);
      const entries = Object.entries(counts);
      if (entries.length === 0) return document;
      addCounter(stats, 'documents');
      for (const [type, count] of entries) addCounter(stats, type, count);
      return { ...document, text, metadata: { ...document.metadata, pii: counts } };
    },
  };
}
