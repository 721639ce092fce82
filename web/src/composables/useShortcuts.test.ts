import { describe, expect, it } from 'vitest';
import { isTypingTarget, shortcutKey } from './useShortcuts';

const key = (k: string, target: unknown = { tagName: 'BODY', closest: () => null }, mods: Partial<KeyboardEvent> = {}) =>
  shortcutKey({ key: k, ctrlKey: false, metaKey: false, altKey: false, repeat: false, defaultPrevented: false, target: target as EventTarget, ...mods });

describe('shortcuts', () => {
  it('gives the key on the page', () => {
    expect(key('r')).toBe('r');
    expect(key('N')).toBe('n');
    expect(key('/')).toBe('/');
    expect(key('Enter')).toBeNull();
  });
  it('stays out of fields, modified keys, held keys and dialogs', () => {
    expect(key('r', { tagName: 'TEXTAREA' })).toBeNull();
    expect(key('r', { tagName: 'INPUT', type: 'search' })).toBeNull();
    expect(key('r', { tagName: 'DIV', isContentEditable: true })).toBeNull();
    expect(key('r', { tagName: 'INPUT', type: 'checkbox', closest: () => null })).toBe('r');
    expect(key('r', undefined, { ctrlKey: true })).toBeNull();
    expect(key('r', undefined, { repeat: true })).toBeNull();
    expect(key('r', { tagName: 'BUTTON', closest: (s: string) => (s.includes('dialog') ? {} : null) })).toBeNull();
  });
  it('recognises typing targets', () => {
    expect(isTypingTarget(null)).toBe(false);
    expect(isTypingTarget({ tagName: 'SELECT' } as unknown as EventTarget)).toBe(true);
    expect(isTypingTarget({ tagName: 'A' } as unknown as EventTarget)).toBe(false);
  });
});
