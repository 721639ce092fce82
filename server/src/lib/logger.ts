import pino from 'pino';

export type Logger = pino.Logger;

const redact = {
  paths: [
    'password', '*.password', 'secret', '*.secret', 'clientSecret', '*.clientSecret', 'accessToken', '*.accessToken',
    'refreshToken', '*.refreshToken', 'token', '*.token', 'auth.pass', '*.auth.pass', 'authorization', '*.authorization',
    'req.headers.authorization', 'req.headers.cookie',
  ],
  censor: '[redacted]',
};

export function createLogger(level: string): Logger {
  return pino({ level, redact, base: undefined });
}
