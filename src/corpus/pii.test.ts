import { describe, expect, it } from 'vitest';
import { createPiiStage, isValidIdCardNumber, passesLuhn, scrubPii } from './pii.js';
import { emptyStageStats } from './stage.js';

describe('PII checks', () => {
  it('verifies ID-card check digits', () => {
    expect(isValidIdCardNumber('11010519491231002X')).toBe(true);
    expect(isValidIdCardNumber('110105194912310021')).toBe(false);
    expect(isValidIdCardNumber('11010519491231002')).toBe(false);
  });

  it('applies the Luhn check', () => {
    expect(passesLuhn('4111111111111111')).toBe(true);
    expect(passesLuhn('4111111111111112')).toBe(false);
  });
});

describe('scrubPii', () => {
  const cases: [string, string, string][] = [
    ['mobile', '电话13812345678吧', '电话<PHONE>吧'],
    ['mobile with +86 and dashes', '打 +86 138-1234-5678', '打 <PHONE>'],
    ['mobile with spaces', '打 138 1234 5678 哦', '打 <PHONE> 哦'],
    ['landline with area code', '座机010-62345678', '座机<TEL>'],
    ['landline in brackets', '座机(0755)2345678', '座机<TEL>'],
    ['e-mail', '邮箱 a.b+c@mail.qq.com 联系', '邮箱 <EMAIL> 联系'],
    ['ID card', '身份证11010519491231002X', '身份证<ID_CARD>'],
    ['bank card', '卡号 4111 1111 1111 1111 转账', '卡号 <BANK_CARD> 转账'],
    ['WeChat id', '加微信: abc_12345 领', '加微信: <WECHAT> 领'],
    ['WeChat id after vx', 'VX:hello2024', 'VX:<WECHAT>'],
    ['QQ number', 'QQ号：12345678', 'QQ号：<QQ>'],
    ['tracking URL', '看 https://m.a.cn/x?id=1&xsec_token=abc 吧', '看 <URL> 吧'],
  ];
  for (const [name, input, expected] of cases) {
    it(`replaces a ${name}`, () => {
      expect(scrubPii(input).text).toBe(expected);
    });
  }

  const untouched: [string, string][] = [
    ['an ID-like number with a wrong check digit', '编号110105194912310021'],
    ['a 16-digit number failing Luhn', '订单 4111111111111112'],
    ['a bare 8-digit number', '价格12345678元'],
    ['a number that is not a mobile', '编号 12812345678'],
    ['a URL without tracking', '看 https://a.cn/p?id=1 吧'],
    ['a word after 微信 that is not an id', '微信很好用'],
  ];
  for (const [name, input] of untouched) {
    it(`leaves ${name}`, () => {
      expect(scrubPii(input).text).toBe(input);
    });
  }

  it('counts per type and honours the type list and placeholders', () => {
    const result = scrubPii('13812345678 和 13912345678, a@b.cn', {
      types: ['phone'],
      placeholders: { phone: '[电话]' },
    });
    expect(result.text).toBe('[电话] 和 [电话], a@b.cn');
    expect(result.counts).toEqual({ phone: 2 });
  });

  it('the stage records counts in metadata and stats', () => {
    const stats = emptyStageStats();
    const result = createPiiStage().apply({ id: '1', text: '电话13812345678 邮箱a@b.cn', metadata: {} }, stats);
    expect(result).toMatchObject({ text: '电话<PHONE> 邮箱<EMAIL>', metadata: { pii: { phone: 1, email: 1 } } });
    expect(stats.counters).toEqual({ documents: 1, phone: 1, email: 1 });
  });
});
