import type { z } from 'zod';
import type { FieldError } from './errors.js';

export function zodFieldErrors(error: z.ZodError, prefix: string[] = []): FieldError[] {
  return error.issues.map((issue) => ({ path: [...prefix, ...issue.path.map(String)], message: issue.message }));
}
