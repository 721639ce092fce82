import { describe, expect, it } from 'vitest';
import { originPolicy } from '../../server/src/lib/origins.ts';

describe('originPolicy', () => {
  const policy = originPolicy('https://help.example.com/desk', ['https://portal.example.com']);

  it('allows programs without an Origin, the public URL, listed origins and same-origin requests', () => {
    expect(policy.allows(null, 'help.example.com')).toBe(true);
    expect(policy.allows(undefined, undefined)).toBe(true);
    expect(policy.allows('https://help.example.com', 'internal:4000')).toBe(true);
    expect(policy.allows('https://portal.example.com', 'help.example.com')).toBe(true);
    expect(policy.allows('http://10.0.0.5:4000', '10.0.0.5:4000')).toBe(true);
    expect(policy.allows('http://LOCALHOST:4000', 'localhost:4000')).toBe(true);
  });

  it('refuses other ports, sibling subdomains, other schemes and garbage', () => {
    for (const origin of [
      'http://help.example.com', 'https://help.example.com:8443', 'https://evil.example.com', 'https://help.example.com.evil.test',
      'http://localhost:5000', 'null', 'file://', 'javascript:alert(1)', '', 'https://', 'ws://help.example.com',
    ]) {
      expect(policy.allows(origin, origin === 'http://localhost:5000' ? 'localhost:4000' : 'help.example.com'), origin).toBe(false);
    }
  });

  it('lists only valid http(s) origins', () => {
    expect(originPolicy(undefined, ['nonsense', 'https://a.example/x']).listed).toEqual(['https://a.example']);
  });
});
