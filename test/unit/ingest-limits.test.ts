import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, checkLimits } from '../../server/src/ingest/limits.ts';
import { OVERSIZE_HEAD_BYTES, downloadBytes, headOnly } from '../../server/src/ingest/plan.ts';

const limits = DEFAULT_LIMITS;
const MB = 1024 * 1024;

/** The best of five runs: a loaded machine can slow any one run down, but not a quadratic scan up. */
function bestTime(raw: Buffer): number {
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    checkLimits(raw, limits);
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

const mail = (headers: string, body = 'hello\r\n') => Buffer.from(`From: a@example.test\r\nTo: b@example.test\r\nSubject: s\r\n${headers}\r\n${body}`, 'latin1');

describe('checkLimits', () => {
  it('passes ordinary mail, including a long single-line HTML body', () => {
    const html = `<html xmlns:v="urn:schemas-microsoft-com:vml"><body>${'<p style="color:red">word</p>'.repeat(20_000)}</body></html>`;
    const raw = mail('Content-Type: multipart/alternative; boundary="b1"\r\n', `--b1\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b1\r\nContent-Type: text/html\r\n\r\n${html}\r\n--b1--\r\n`);
    expect(checkLimits(raw, limits)).toBeNull();
  });

  it('refuses over-size messages', () => {
    expect(checkLimits(Buffer.alloc(2000, 'a'), { ...limits, maxMessageBytes: 1000 })).toMatch(/over the 1000 B limit/);
  });

  it('counts parts and nesting', () => {
    let body = '';
    for (let i = 0; i < 30; i++) body += `--b${i}\r\nContent-Type: multipart/mixed; boundary="b${i + 1}"\r\n\r\n`;
    expect(checkLimits(mail('Content-Type: multipart/mixed; boundary="b0"\r\n', body), limits)).toMatch(/nesting deeper than 20/);
    const many = mail('Content-Type: multipart/mixed;\r\n boundary=zz\r\n', '--zz\r\n\r\nx\r\n'.repeat(600));
    expect(checkLimits(many, limits)).toMatch(/more than 500 MIME parts/);
  });

  it('refuses a header field over 100 KB and a header section over 1 MB', () => {
    expect(checkLimits(mail(`X-Big: ${'a'.repeat(150 * 1024)}\r\n`), limits)).toMatch(/header field is .* over the 100.0 KB limit/);
    expect(checkLimits(mail(`X-Many: ${'a'.repeat(1000)}\r\n`.repeat(1100)), limits)).toMatch(/header section is .* over the 1.0 MB limit/);
  });

  // Each shape is a way to make a naive scanner quadratic; 5 MB of it must be handled in well under 200 ms.
  const adversarial: [string, () => Buffer][] = [
    ['content-type: repeated inside one header line', () => mail(`X-A: ${'content-type:'.repeat(Math.ceil((5 * MB) / 13))}\r\n`)],
    ['content-type: repeated inside one body line', () => mail('', `${'content-type:'.repeat(Math.ceil((5 * MB) / 13))}\r\n`)],
    ['Content-Type lines without a boundary', () => mail('', 'Content-Type: text/plain; charset=x\r\n'.repeat(Math.ceil((5 * MB) / 36)))],
    ['one field folded over 5 MB', () => mail(`Content-Type: multipart/mixed;\r\n${' boundary\r\n'.repeat(Math.ceil((5 * MB) / 11))}`)],
    ['boundary without a value on every line', () => mail('', 'Content-Type: x; boundary\r\n'.repeat(Math.ceil((5 * MB) / 26)))],
    ['boundary= without a value, over and over', () => mail('', `Content-Type: x; ${'boundary='.repeat(Math.ceil((5 * MB) / 9))}\r\n`)],
    ['many header-like body lines', () => mail('', 'X-Y: z\n'.repeat(Math.ceil((5 * MB) / 7)))],
    ['newlines only', () => mail('', '\n'.repeat(5 * MB))],
    ['folding whitespace only', () => mail(`X-A: a\r\n${' \r\n'.repeat(Math.ceil((5 * MB) / 3))}`)],
  ];
  for (const [name, make] of adversarial) {
    it(`stays linear: ${name}`, () => {
      const raw = make();
      expect(raw.length).toBeGreaterThanOrEqual(5 * MB);
      // 200 ms on a quiet machine; on a loaded one, no worse than 8× a plain message of the same size
      // measured in the same run (a quadratic scan is hundreds of times slower, not 8).
      const plain = mail('', 'Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n'.repeat(Math.ceil(raw.length / 58)));
      expect(bestTime(raw)).toBeLessThan(Math.max(200, 8 * bestTime(plain)));
    });
  }

  it('quarantines the 1 MB content-type header of the report rather than letting it through', () => {
    expect(checkLimits(mail(`Subject2: ${'content-type:'.repeat(80_000)}\r\n`), limits)).toMatch(/header field/);
  });
});

describe('mail over the size limit, before download', () => {
  const limit = 25 * 1024 * 1024;

  it('is fetched as its first 64 KB only when its declared size is over the limit', () => {
    expect([headOnly(limit, limit), headOnly(limit + 1, limit), headOnly(null, limit), headOnly(undefined, limit)]).toEqual([false, true, false, false]);
    // What a batch budgets for: the whole of a message within the limit, the head of one over it.
    expect([downloadBytes(10 * 1024 * 1024, limit), downloadBytes(82 * 1024 * 1024, limit), downloadBytes(null, limit)]).toEqual([10 * 1024 * 1024, OVERSIZE_HEAD_BYTES, 0]);
  });
});
