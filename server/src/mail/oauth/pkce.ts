import { createHash, randomBytes } from 'node:crypto';

/** RFC 7636: 32 random bytes → a 43-character base64url verifier; the challenge is its SHA-256 (S256). */
export function createPkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: pkceChallenge(verifier) };
}

export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** The OAuth `state`: unguessable and single-use, so it also serves as the CSRF token of the flow. */
export function createState(): string {
  return randomBytes(32).toString('base64url');
}
