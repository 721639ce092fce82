import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../server/src/modules/config-audit/config-audit.service.ts';
import { SecretBox } from '../../server/src/lib/secrets.ts';

describe('secrets', () => {
  it('round-trips with AES-256-GCM and never stores the plain text', () => {
    const box = new SecretBox(randomBytes(32));
    const sealed = box.seal('hunter2');
    expect(sealed).not.toContain('hunter2');
    expect(box.seal('hunter2')).not.toBe(sealed); // fresh IV each time
    expect(box.open(sealed)).toBe('hunter2');
  });

  it('refuses tampered data and the wrong key', () => {
    const box = new SecretBox(randomBytes(32));
    const sealed = box.seal('hunter2');
    const parts = sealed.split(':');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(() => box.open(parts.join(':'))).toThrow();
    expect(() => new SecretBox(randomBytes(32)).open(sealed)).toThrow();
  });

  it('redacts secrets in audit snapshots but says whether they were set', () => {
    expect(redactSecrets({ name: 'x', passwordSealed: 'v1:…', oauthSecretsSealed: null, oauth: { clientSecret: 's', clientId: 'id' } })).toEqual({
      name: 'x', passwordSealed: '[redacted]', oauthSecretsSealed: null, oauth: { clientSecret: '[redacted]', clientId: 'id' },
    });
  });
});
