// truncateText never leaves half a surrogate pair (issue 10: such a cut made quarantine and delivery rows unstorable).
import t from 'tap';
import fc from 'fast-check';
import { truncateText } from '../text.ts';

const wellFormed = (s: string) => !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

t.test('truncateText', async (t) => {
  t.equal(truncateText('abc', 5), 'abc');
  t.equal(truncateText('abcdef', 3, '…'), 'abc…');
  t.equal(truncateText('ab😀c', 3), 'ab', 'the pair is dropped whole, not halved');
  t.equal(truncateText('ab😀c', 4), 'ab😀');
  fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.nat(50), (s, n) => {
    const r = truncateText(s, n);
    return wellFormed(r) && r.length <= n && s.startsWith(r) && r.length >= Math.min(s.length, n) - 1;
  }), { numRuns: 1000 });
});
