import { z } from 'zod';

/**
 * RFC 5321 §4.5.3.1.3: a path holds at most 256 octets with its brackets, so an address at most
 * 254. The length is checked first, so a megabyte of input is refused before the address pattern
 * runs over it, a btree index (≤ 2,704 bytes a row) refuses it with a 500, or it fills a log line.
 */
const MAX_EMAIL_LENGTH = 254;

/** An email address as typed into a form: trimmed, at most 254 characters, well-formed. */
export const emailAddress = (message = 'Not a valid email address') =>
  z.string().trim().max(MAX_EMAIL_LENGTH, `At most ${MAX_EMAIL_LENGTH} characters`).pipe(z.email(message));
