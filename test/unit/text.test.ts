import { describe, expect, it } from 'vitest';
import { printable, storableText } from '../../src/domain/text.js';

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

describe('printable: text a terminal shows without acting on it', () => {
  it.each([
    ['plain text', 'plain text'],
    ['keeps\nline breaks\tand tabs', 'keeps\nline breaks\tand tabs'],
    ['ESC [2J clears the screen: \u001b[2J', 'ESC [2J clears the screen: \\u001b[2J'],
    ['CR overwrites: ok\rFAKE', 'CR overwrites: ok\\u000dFAKE'],
    ['BEL \u0007 and NUL \u0000', 'BEL \\u0007 and NUL \\u0000'],
    ['OSC 52 \u001b]52;c;aGVsbG8=\u0007', 'OSC 52 \\u001b]52;c;aGVsbG8=\\u0007'],
    ['DEL \u007f', 'DEL \\u007f'],
    ['C1 CSI \u009b31m and NEL \u0085', 'C1 CSI \\u009b31m and NEL \\u0085'],
    ['bidi \u202eevil\u202c and \u2066isolate\u2069', 'bidi \\u202eevil\\u202c and \\u2066isolate\\u2069'],
    ['accents é, emoji 😀, no-break space \u00a0 stay', 'accents é, emoji 😀, no-break space \u00a0 stay'],
  ])('%j → %j', (input, expected) => expect(printable(input)).toBe(expected));

  it('leaves a JSON document exact: its escapes are JSON\'s', () => {
    const value = { text: 'a\u001b[2J\r\u0007\u007f\u009b\u202e\u2066z', list: ['\u0085', 'plain'] };
    const json = printable(JSON.stringify(value));
    // eslint-disable-next-line no-control-regex
    expect(json).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(JSON.parse(json)).toEqual(value);
  });
});
