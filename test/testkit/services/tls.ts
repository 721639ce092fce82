import path from 'node:path';
import { run } from './util.ts';

/**
 * Self-signed certificate for localhost (SAN DNS:localhost, IP:127.0.0.1). The certificate
 * is its own CA, so clients trust it by passing its PEM as `ca`.
 */
export async function generateSelfSignedCert(dir: string): Promise<{ certPath: string; keyPath: string }> {
  const certPath = path.join(dir, 'cert.pem');
  const keyPath = path.join(dir, 'key.pem');
  // EC keys: generation is instant, unlike RSA.
  await run('openssl', [
    'req', '-x509', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-keyout', keyPath, '-out', certPath, '-days', '30', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-addext', 'basicConstraints=critical,CA:TRUE',
  ]);
  return { certPath, keyPath };
}
