import { RE2JS } from 're2js';

/**
 * Rule patterns run on RE2 (re2js) on the server, case-insensitive; the browser's RegExp accepts
 * what RE2 refuses (lookaround, backreferences) and refuses valid RE2 (`(?i)`), so the drawer
 * checks with the same engine and says where the pattern goes wrong, in words.
 */
export interface RegexProblem {
  /** 0-based position of the trouble in the pattern. */
  index: number;
  message: string;
}

export const MAX_REGEX_LENGTH = 500;

interface SyntaxError {
  error?: string;
  input?: string | null;
}

/** The first `(` never closed, or the first `)` closing nothing; escapes and [classes] skipped. */
function unbalanced(pattern: string): { open: number | null; close: number | null } {
  const opens: number[] = [];
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      if (pattern[i + 1] === ']') i++;
    } else if (c === '(') opens.push(i);
    else if (c === ')' && opens.pop() === undefined) return { open: null, close: i };
  }
  return { open: opens[0] ?? null, close: null };
}

function explain(error: string, fragment: string): string {
  switch (error) {
    case 'missing closing )': return 'this ( is never closed — add the ) that ends the group';
    case 'unexpected )': return 'this ) closes no group — remove it, or write \\) for a literal parenthesis';
    case 'missing closing ]': return 'this character class is never closed — add the ]';
    case 'invalid or unsupported Perl syntax':
      return /^\(\?<?[=!]/.test(fragment)
        ? `lookahead and lookbehind (${fragment}) are not supported by RE2`
        : `${fragment} is not a group RE2 knows`;
    case 'invalid escape sequence':
      return /^\\[1-9]/.test(fragment) ? `backreferences (${fragment}) are not supported by RE2` : `${fragment} is not an escape RE2 knows`;
    case 'invalid nested repetition operator': return `${fragment} repeats a repetition — remove one of them`;
    case 'missing argument to repetition operator': return `${fragment} has nothing before it to repeat — write \\${fragment.charAt(0)} for the character itself`;
    case 'invalid repeat count': return `${fragment} is not a repeat count RE2 accepts (at most 1000, smallest first)`;
    case 'invalid character class range': return `${fragment} is not a valid range`;
    case 'trailing backslash at end of expression': return 'the pattern ends with a lone \\ — write \\\\ for a backslash';
    case 'duplicate capture group name': return `the group name ${fragment} is used twice`;
    default: return error;
  }
}

/** Null when RE2 accepts the pattern as the rules compile it; else where and why not. */
export function regexProblem(pattern: string): RegexProblem | null {
  if (pattern.length > MAX_REGEX_LENGTH) return { index: MAX_REGEX_LENGTH, message: `A regular expression can be at most ${MAX_REGEX_LENGTH} characters` };
  try {
    RE2JS.compile(pattern, RE2JS.CASE_INSENSITIVE);
    return null;
  } catch (err) {
    const { error = 'not a valid pattern', input } = err as SyntaxError;
    const balance = unbalanced(pattern);
    let index: number;
    if (error === 'missing closing )' && balance.open !== null) index = balance.open;
    else if (error === 'unexpected )' && balance.close !== null) index = balance.close;
    else if (error === 'trailing backslash at end of expression') index = pattern.length - 1;
    else index = Math.max(0, input ? pattern.indexOf(input) : 0);
    const fragment = error === 'missing closing )' || error === 'unexpected )' ? pattern.charAt(index) : (input ?? pattern.slice(index, index + 6));
    return { index, message: `At character ${index + 1}: ${explain(error, fragment)}.` };
  }
}
