import { describe, expect, it } from 'vitest';
import { trimReply } from '../../server/src/ingest/steps/quote-trim.ts';

const t = (lines: string[]) => lines.join('\n');

describe('trimReply: quoted history', () => {
  it('cuts at a Gmail/Apple "On … wrote:" attribution', () => {
    expect(trimReply(t([
      'Thanks, that fixed it.', '', 'On Tue, Mar 4, 2025 at 10:00 AM Help Desk <support@help.example> wrote:', '', '> Please restart the spooler.', '> Regards',
    ]))).toBe('Thanks, that fixed it.');
  });

  it('joins an attribution the client wrapped over several lines', () => {
    expect(trimReply(t([
      'Works now.', '', 'On Tue, Mar 4, 2025 at 10:00 AM Help Desk <', 'support@help.example> wrote:', '', '> Please restart the spooler.',
    ]))).toBe('Works now.');
  });

  it('cuts at a German "Am … schrieb …:" attribution', () => {
    expect(trimReply(t([
      'Danke, jetzt geht es.', '', 'Am 04.03.2025 um 10:00 schrieb Help Desk <support@help.example>:', '> Bitte den Drucker neu starten.',
    ]))).toBe('Danke, jetzt geht es.');
    expect(trimReply(t([
      'Danke!', '', 'Help Desk <support@help.example> schrieb am Di., 4. März 2025 um 10:00 Uhr:', '', '> Bitte neu starten.',
    ]))).toBe('Danke!');
  });

  it('cuts at French, Spanish, Dutch and Chinese attributions', () => {
    expect(trimReply('Merci.\n\nLe mar. 4 mars 2025 à 10:00, Help Desk <support@help.example> a écrit :\n> Redémarrez.')).toBe('Merci.');
    expect(trimReply('Gracias.\n\nEl mar, 4 mar 2025 a las 10:00, Help Desk (<support@help.example>) escribió:\n> Reinicie.')).toBe('Gracias.');
    expect(trimReply('Bedankt.\n\nOp di 4 mrt. 2025 om 10:00 schreef Help Desk <support@help.example>:\n> Herstarten.')).toBe('Bedankt.');
    expect(trimReply('谢谢\n\n在 2025年3月4日，上午10:00，Help Desk <support@help.example> 写道：\n> 请重启。')).toBe('谢谢');
  });

  it('cuts at an Outlook "-----Original Message-----" block', () => {
    expect(trimReply(t([
      'Still broken.', '', '-----Original Message-----', 'From: Help Desk <support@help.example>', 'Sent: Tuesday, March 4, 2025 10:00 AM',
      'To: Alice Example <alice@customer.example>', 'Subject: [#REQ-42] Printer jammed', '', 'Please restart the spooler.',
    ]))).toBe('Still broken.');
  });

  it('cuts at an Outlook header block under a ruler, also localised', () => {
    expect(trimReply(t([
      'Still broken.', '', '________________________________', 'From: Help Desk <support@help.example>', 'Sent: Tuesday, March 4, 2025 10:00',
      'To: Alice Example', 'Subject: RE: [#REQ-42] Printer jammed', '', 'Please restart the spooler.',
    ]))).toBe('Still broken.');
    expect(trimReply(t([
      'Geht immer noch nicht.', '', 'Von: Help Desk <support@help.example>', 'Gesendet: Dienstag, 4. März 2025 10:00', 'An: Alice Example',
      'Betreff: AW: [#REQ-42] Drucker', '', 'Bitte neu starten.',
    ]))).toBe('Geht immer noch nicht.');
  });

  it('drops trailing > quotes without an attribution', () => {
    expect(trimReply('Done.\n\n> Please restart the spooler.\n> Regards')).toBe('Done.');
  });

  it('keeps answers written between quotes', () => {
    const inline = t([
      'On Tue, Mar 4, 2025 at 10:00 AM Help Desk <support@help.example> wrote:', '> Which floor?', '', 'Floor 2.', '', '> Which model?', '', 'HP 4250.',
    ]);
    expect(trimReply(inline)).toBe(t(['> Which floor?', '', 'Floor 2.', '', '> Which model?', '', 'HP 4250.']));
  });

  it('keeps the text after a quote the person answered below (bottom posting)', () => {
    expect(trimReply(t([
      'On Tue, Mar 4, 2025 at 10:00 AM Help Desk <support@help.example> wrote:', '', '> Please restart the spooler.', '', 'Did that, still jammed.',
    ]))).toBe('Did that, still jammed.');
  });

  it('keeps a reply that has no quote at all, formatting intact', () => {
    const text = 'Formatting and\n\n  - indented list\n  - stays\n\n```\n####\n--\n```\nEnd.';
    expect(trimReply(text)).toBe(text);
  });

  it('does not take a Q/A list or a "To:" line in the reply for a header block', () => {
    const qa = 'Answers:\nQ: Does it print?\nA: No.\nQ: Any error?\nA: Paper jam.\nTo: be continued\nDate: tomorrow\n\nAlice';
    expect(trimReply(qa)).toBe(qa);
  });

  it('returns a quote-only reply as it is, and nothing for a blank one', () => {
    expect(trimReply('> only a quote')).toBe('> only a quote');
    expect(trimReply(' \n\n ')).toBe('');
  });
});

describe('trimReply: signatures', () => {
  it('drops the "-- " signature block and mobile signatures by default', () => {
    expect(trimReply('Works now.\n\n-- \nAlice Example\nACME Corp\n+1 555 0100')).toBe('Works now.');
    expect(trimReply('Works now.\n\nSent from my iPhone')).toBe('Works now.');
    expect(trimReply('Works now.\n\nVon meinem iPhone gesendet\n\nAm 04.03.2025 um 10:00 schrieb Help Desk <support@help.example>:\n> x')).toBe('Works now.');
  });

  it('keeps signatures when asked to remove only the quote', () => {
    expect(trimReply('Works now.\n\n-- \nAlice\n\nOn Tue, Mar 4, 2025 at 10:00 AM Help Desk wrote:\n> x', { signatures: false })).toBe('Works now.\n\n-- \nAlice');
  });

  it('keeps a line that merely starts like a mobile signature in the middle of the text', () => {
    expect(trimReply('Sent from my laptop the logs:\nerror 42\n\nThanks')).toBe('Sent from my laptop the logs:\nerror 42\n\nThanks');
  });
});

describe('trimReply: bounded work', () => {
  it('handles a very long reply without a quote in linear time', () => {
    const long = 'line of prose that goes on, and on\n'.repeat(20_000);
    const started = performance.now();
    expect(trimReply(long)).toBe(long.trim());
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
