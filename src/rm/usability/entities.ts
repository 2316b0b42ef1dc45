// Entity extraction for consistency checks between a title and its note: numbers with
// units, prices, percentages, dates, Latin brand tokens and product words. Chinese-aware:
// 两 = 2, 元/块/¥ are one currency, full-width digits fold to ASCII.

import type { Note } from '../../schemas/types.js';
import { foldText, isChineseText, words } from '../text.js';

/** The kinds of entity the usability model checks. */
export type EntityType = 'number' | 'price' | 'percentage' | 'date' | 'brand' | 'product';

/** One entity found in a text. */
export interface Entity {
  /** What kind of entity it is. */
  type: EntityType;
  /** Normalised value: a number as text (`'128'`), a date key (`'10-1'`), or a folded word. */
  value: string;
  /** Normalised unit for numbers (`'cny'`, `'hour'`, `''` when none). */
  unit: string;
  /** The text as it appeared. */
  span: string;
}

// Surface unit -> normalised unit. Longest surface forms are tried first.
const unitTable: Record<string, string> = {
  元: 'cny',
  块: 'cny',
  块钱: 'cny',
  rmb: 'cny',
  yuan: 'cny',
  '¥': 'cny',
  '￥': 'cny',
  $: 'usd',
  usd: 'usd',
  dollars: 'usd',
  dollar: 'usd',
  美元: 'usd',
  '%': 'percent',
  percent: 'percent',
  小时: 'hour',
  个小时: 'hour',
  h: 'hour',
  hours: 'hour',
  hour: 'hour',
  hr: 'hour',
  分钟: 'minute',
  min: 'minute',
  mins: 'minute',
  minutes: 'minute',
  minute: 'minute',
  秒: 'second',
  seconds: 'second',
  second: 'second',
  s: 'second',
  天: 'day',
  日: 'day',
  days: 'day',
  day: 'day',
  周: 'week',
  星期: 'week',
  个星期: 'week',
  weeks: 'week',
  week: 'week',
  个月: 'month',
  月: 'month',
  months: 'month',
  month: 'month',
  年: 'year',
  years: 'year',
  year: 'year',
  公斤: 'kg',
  千克: 'kg',
  kg: 'kg',
  斤: 'jin',
  克: 'g',
  g: 'g',
  毫升: 'ml',
  ml: 'ml',
  升: 'l',
  l: 'l',
  liters: 'l',
  litres: 'l',
  厘米: 'cm',
  cm: 'cm',
  米: 'm',
  m: 'm',
  公里: 'km',
  km: 'km',
  平米: 'sqm',
  平方米: 'sqm',
  平: 'sqm',
  inch: 'inch',
  inches: 'inch',
  寸: 'inch',
  英寸: 'inch',
  度: 'degree',
  c: 'degree',
  大卡: 'kcal',
  kcal: 'kcal',
  calories: 'kcal',
  次: 'times',
  times: 'times',
  x: 'times',
  倍: 'fold',
  款: 'item',
  支: 'item',
  件: 'item',
  个: 'item',
  只: 'item',
  双: 'item',
  套: 'item',
  瓶: 'item',
  张: 'item',
  台: 'item',
  袋: 'item',
  杯: 'item',
  份: 'item',
  种: 'item',
  招: 'item',
  步: 'step',
  个步骤: 'step',
  steps: 'step',
  口: 'person',
  人: 'person',
  岁: 'age',
  晚: 'night',
  nights: 'night',
  点: 'oclock',
  words: 'word',
  字: 'word',
  层: 'layer',
  档: 'level',
};
const units = Object.keys(unitTable).sort((left, right) => right.length - left.length);
const currencyPrefixes: Record<string, string> = { '¥': 'cny', '￥': 'cny', $: 'usd' };

const chineseDigits: Record<string, number> = {
  零: 0,
  〇: 0,
  一: 1,
  二: 2,
  两: 2,
  三: 3,
  四: 4,
  五: 5,
  六: 6,
  七: 7,
  八: 8,
  九: 9,
};
const chineseMultipliers: Record<string, number> = { 十: 10, 百: 100, 千: 1000, 万: 10_000 };

const englishNumbers: Record<string, number> = {
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  fifteen: 15,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  hundred: 100,
  dozen: 12,
  a: 1,
  an: 1,
  single: 1,
  double: 2,
  couple: 2,
};

/** Parses a run of Chinese numerals (`两`, `十五`, `一百二十`) into a number. */
export function parseChineseNumber(text: string): number | undefined {
  let total = 0;
  let section = 0;
  let digit = 0;
  let seen = false;
  for (const character of text) {
    if (character in chineseDigits) {
      digit = chineseDigits[character] as number;
      seen = true;
    } else if (character in chineseMultipliers) {
      const multiplier = chineseMultipliers[character] as number;
      if (multiplier === 10_000) {
        total += (section + digit) * multiplier;
        section = 0;
      } else {
        section += (digit === 0 && !seen ? 1 : digit) * multiplier;
      }
      digit = 0;
      seen = true;
    } else {
      return undefined;
    }
  }
  return seen ? total + section + digit : undefined;
}

function formatNumber(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}

function unitAt(text: string, position: number): { unit: string; length: number } {
  const rest = text.slice(position).replace(/^[\s-]/u, '');
  const skipped = text.length - position - rest.length;
  for (const surface of units) {
    if (!rest.startsWith(surface)) continue;
    // Latin units must end at a word boundary: `5 hours`, not `5 hot`.
    const next = rest.charAt(surface.length);
    if (/^[a-z]+$/u.test(surface) && /[a-z]/u.test(next)) continue;
    return { unit: unitTable[surface] as string, length: skipped + surface.length };
  }
  return { unit: '', length: 0 };
}

function typeForUnit(unit: string): EntityType {
  if (unit === 'cny' || unit === 'usd') return 'price';
  if (unit === 'percent') return 'percentage';
  return 'number';
}

const weekdays: Record<string, string> = {
  周一: 'mon',
  周二: 'tue',
  周三: 'wed',
  周四: 'thu',
  周五: 'fri',
  周六: 'sat',
  周日: 'sun',
  周末: 'weekend',
  星期一: 'mon',
  星期二: 'tue',
  星期三: 'wed',
  星期四: 'thu',
  星期五: 'fri',
  星期六: 'sat',
  星期天: 'sun',
  星期日: 'sun',
  monday: 'mon',
  tuesday: 'tue',
  wednesday: 'wed',
  thursday: 'thu',
  friday: 'fri',
  saturday: 'sat',
  sunday: 'sun',
  weekend: 'weekend',
};
const monthNames = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

/** Options for {@link extractNumbers}. */
interface NumberOptions {
  /** Source texts are read liberally (every numeral); titles only count Chinese numerals with a unit. */
  liberal: boolean;
}

function extractNumbers(folded: string, options: NumberOptions): Entity[] {
  const found: Entity[] = [];
  // Dates first, so `10月1日` is a date and not two numbers.
  const dateSpans: [number, number][] = [];
  for (const match of folded.matchAll(/(?:(\d{4})年)?(\d{1,2})月(\d{1,2})[日号]/gu)) {
    found.push({ type: 'date', value: `${Number(match[2])}-${Number(match[3])}`, unit: '', span: match[0] });
    dateSpans.push([match.index, match.index + match[0].length]);
  }
  for (const match of folded.matchAll(/(\d{4})年/gu)) {
    if (dateSpans.some(([start, end]) => match.index >= start && match.index < end)) continue;
    found.push({ type: 'date', value: match[1] as string, unit: 'year', span: match[0] });
    dateSpans.push([match.index, match.index + match[0].length]);
  }
  const monthPattern = new RegExp(`\\b(${monthNames.join('|')})\\s+(\\d{1,2})\\b`, 'gu');
  for (const match of folded.matchAll(monthPattern)) {
    const month = monthNames.indexOf(match[1] as string) + 1;
    found.push({ type: 'date', value: `${month}-${Number(match[2])}`, unit: '', span: match[0] });
    dateSpans.push([match.index, match.index + match[0].length]);
  }
  for (const [surface, key] of Object.entries(weekdays)) {
    const pattern = /^[a-z]/u.test(surface) ? new RegExp(`\\b${surface}\\b`, 'gu') : new RegExp(surface, 'gu');
    for (const match of folded.matchAll(pattern)) {
      found.push({ type: 'date', value: key, unit: '', span: match[0] });
    }
  }
  const inDate = (index: number) => dateSpans.some(([start, end]) => index >= start && index < end);

  for (const match of folded.matchAll(/([¥￥$])?(\d+(?:,\d{3})*(?:\.\d+)?)/gu)) {
    if (inDate(match.index)) continue;
    const value = Number((match[2] as string).replaceAll(',', ''));
    const prefix = match[1];
    let { unit, length } = unitAt(folded, match.index + match[0].length);
    if (prefix) unit = currencyPrefixes[prefix] as string;
    if (folded.startsWith('百分之', match.index - 3)) unit = 'percent';
    found.push({
      type: typeForUnit(unit),
      value: formatNumber(value),
      unit,
      span: folded.slice(match.index, match.index + match[0].length + (prefix ? 0 : length)),
    });
  }
  for (const match of folded.matchAll(/(百分之)?([零〇一二两三四五六七八九十百千万]+)/gu)) {
    const value = parseChineseNumber(match[2] as string);
    if (value === undefined) continue;
    let { unit, length } = unitAt(folded, match.index + match[0].length);
    if (match[1]) unit = 'percent';
    if (!options.liberal && unit === '') continue;
    // `一` before a non-unit is usually part of a word (一般, 一起); only counts liberally.
    found.push({
      type: typeForUnit(unit),
      value: formatNumber(value),
      unit,
      span: folded.slice(match.index, match.index + match[0].length + length),
    });
  }
  for (const match of folded.matchAll(/\b([a-z]+)\b/gu)) {
    const word = match[1] as string;
    const value = englishNumbers[word];
    if (value === undefined) continue;
    const { unit, length } = unitAt(folded, match.index + match[0].length);
    if (!options.liberal && (unit === '' || unit === 'item' || word === 'a' || word === 'an')) continue;
    found.push({
      type: typeForUnit(unit),
      value: formatNumber(value),
      unit,
      span: folded.slice(match.index, match.index + match[0].length + length),
    });
  }
  return found;
}

/**
 * Product words known to the checker: a title mentioning one of them that its note does
 * not mention is an entity mismatch. Notes' tags are added at scoring time.
 */
export const defaultProductLexicon: readonly string[] = [
  '防晒霜',
  '防晒',
  '洗面奶',
  '面膜',
  '口红',
  '精华',
  '面霜',
  '粉底',
  '香水',
  '卸妆',
  '眼霜',
  '爽肤水',
  '乳液',
  '空气炸锅',
  '电饭煲',
  '微波炉',
  '烤箱',
  '洗地机',
  '扫地机',
  '吸尘器',
  '洗碗机',
  '冰箱',
  '洗衣机',
  '空调',
  '加湿器',
  '婴儿推车',
  '推车',
  '安全座椅',
  '奶粉',
  '纸尿裤',
  '降噪耳机',
  '耳机',
  '音箱',
  '智能手环',
  '手环',
  '手表',
  '手机',
  '平板',
  '笔记本',
  '键盘',
  '鼠标',
  '显示器',
  '投影仪',
  '跑鞋',
  '运动鞋',
  '球鞋',
  '瑜伽垫',
  '书桌',
  '折叠书桌',
  '椅子',
  '沙发',
  '床垫',
  '猫粮',
  '狗粮',
  '猫砂',
  '冻干',
  '燕麦',
  '酸奶',
  '咖啡',
  '奶茶',
  '火锅',
  '背包',
  '行李箱',
  '保温杯',
  '水杯',
  '帐篷',
  '自行车',
  '相机',
  '台灯',
  '窗帘',
  'backpack',
  'suitcase',
  'keyboard',
  'mouse',
  'projector',
  'blanket',
  'desk',
  'chair',
  'bike',
  'skillet',
  'pan',
  'bottle',
  'starter',
  'headphones',
  'earbuds',
  'sunscreen',
  'laptop',
  'phone',
  'tablet',
  'camera',
  'lamp',
  'plant',
  'shoes',
  'sneakers',
  'mattress',
  'pillow',
  'blender',
  'kettle',
  'watch',
  'tent',
  'stroller',
];

/** The text a title may draw on: the note's title, body, tags and image descriptions. */
export function noteSourceText(note: Note): string {
  return [note.title, note.body, ...(note.tags ?? []), ...(note.images ?? []).map((image) => image.description)].join(
    '\n',
  );
}

const commonCapitalised = new Set([
  'i',
  'my',
  'the',
  'a',
  'an',
  'this',
  'that',
  'how',
  'why',
  'what',
  'your',
  'our',
  'we',
  'you',
  'it',
  'in',
  'on',
]);

function brandTokens(title: string): Entity[] {
  // Tokens start at a boundary, so `40L` or `200C` are numbers with units, not brands.
  const tokens = (title.match(/(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9+'’-]*/gu) ?? []).filter((token) => token.length > 1);
  const chinese = isChineseText(title);
  const capitalised = tokens.filter((token) => /^[A-Z]/u.test(token)).length;
  const titleCase = !chinese && tokens.length > 2 && capitalised / tokens.length > 0.5;
  const found: Entity[] = [];
  tokens.forEach((token, index) => {
    const strong = /[A-Z].*[A-Z]/u.test(token) || /[a-z][A-Z]/u.test(token) || /[A-Za-z]\d/u.test(token);
    const weak = /^[A-Z]/u.test(token) && (chinese || (index > 0 && !titleCase));
    if (!strong && !weak) return;
    if (commonCapitalised.has(token.toLowerCase())) return;
    found.push({ type: 'brand', value: foldText(token), unit: '', span: token });
  });
  return found;
}

function singular(word: string): string {
  return word.length > 3 && word.endsWith('s') && !word.endsWith('ss') ? word.slice(0, -1) : word;
}

function productWords(folded: string, lexicon: Iterable<string>): Entity[] {
  const found: Entity[] = [];
  const latinWords = new Set(words(folded).map(singular));
  const sorted = [...new Set(lexicon)].map(foldText).sort((left, right) => right.length - left.length);
  let remaining = folded;
  for (const word of sorted) {
    if (word.length < 2) continue;
    if (/^[a-z ]+$/u.test(word)) {
      if (latinWords.has(singular(word))) found.push({ type: 'product', value: singular(word), unit: '', span: word });
    } else if (remaining.includes(word)) {
      found.push({ type: 'product', value: word, unit: '', span: word });
      // `降噪耳机` also contains `耳机`: count the longest match once.
      remaining = remaining.replaceAll(word, ' ');
    }
  }
  return found;
}

/** Options for {@link extractEntities}. */
export interface ExtractEntitiesOptions {
  /** Product words to look for, besides numbers and brands. @default defaultProductLexicon */
  productLexicon?: Iterable<string>;
  /** Read every numeral, even without a unit (for the note side). @default false */
  liberal?: boolean;
}

/** Extracts typed entities from a title (conservatively) or a note (liberally). */
export function extractEntities(text: string, options: ExtractEntitiesOptions = {}): Entity[] {
  const folded = foldText(text);
  return [
    ...extractNumbers(folded, { liberal: options.liberal ?? false }),
    ...brandTokens(text.normalize('NFKC')),
    ...productWords(folded, options.productLexicon ?? defaultProductLexicon),
  ];
}

/** The outcome of checking a title's entities against its note. */
export interface EntityCheck {
  /** Entities found in the title. */
  entities: Entity[];
  /** Those the note does not support. */
  unsupported: Entity[];
}

/**
 * Checks that every number, price, percentage, date, brand and product word in the title
 * is supported by the note. Numbers match on value and unit (a unit-less mention on
 * either side matches any unit, but a price or percentage needs one in the note); brands and products match as folded substrings.
 */
export function checkEntities(title: string, note: Note, productLexicon?: Iterable<string>): EntityCheck {
  const source = noteSourceText(note);
  const foldedSource = foldText(source);
  const lexicon = [...(productLexicon ?? defaultProductLexicon), ...(note.tags ?? [])];
  const entities = extractEntities(title, { productLexicon: lexicon });
  const sourceEntities = extractEntities(source, { productLexicon: lexicon, liberal: true });
  const sourceWords = new Set(words(foldedSource).map(singular));
  const unsupported = entities.filter((entity) => {
    switch (entity.type) {
      case 'brand':
        return !foldedSource.includes(entity.value);
      case 'product':
        return !(foldedSource.includes(entity.value) || sourceWords.has(entity.value));
      case 'date':
        return !sourceEntities.some((other) => other.type === 'date' && other.value === entity.value);
      default:
        return !sourceEntities.some(
          (other) =>
            other.type !== 'date' &&
            other.value === entity.value &&
            // Prices and percentages need the same kind in the note: 50ml is not 50元.
            (entity.type === 'number' ? other.type !== 'price' : other.type === entity.type) &&
            (other.unit === entity.unit || other.unit === '' || entity.unit === ''),
        );
    }
  });
  return { entities, unsupported };
}
