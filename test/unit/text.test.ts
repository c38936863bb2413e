import { describe, expect, it } from 'vitest';
import { storableText } from '../../src/domain/text.js';

describe('storableText: text Postgres can store', () => {
  it.each([
    ['plain', 'plain'],
    ['', ''],
    ['a\u0000b', 'a\uFFFDb'],
    ['\u0000\u0000', '\uFFFD\uFFFD'],
    ['lone high \ud800 surrogate', 'lone high \uFFFD surrogate'],
    ['lone low \udc00', 'lone low \uFFFD'],
    ['reversed pair \udc00\ud800', 'reversed pair \uFFFD\uFFFD'],
    ['a real pair 😀 stays', 'a real pair 😀 stays'],
    ['other controls stay \u0001\u001b\u007f', 'other controls stay \u0001\u001b\u007f'],
    ['both \u0000 and \ud800', 'both \uFFFD and \uFFFD'],
  ])('%j → %j', (input, expected) => expect(storableText(input)).toBe(expected));

  it('returns the same string when nothing needs replacing', () => {
    const text = 'x'.repeat(1000);
    expect(storableText(text)).toBe(text);
  });
});
