import { describe, expect, it } from 'vitest';
import { replyBody } from './replyFormat';

describe('replyBody', () => {
  it('sends plain text as it is', async () => {
    expect(await replyBody('Hi **there**\n\n<b>x</b>', 'TEXT')).toEqual({ body: 'Hi **there**\n\n<b>x</b>', bodyFormat: 'TEXT' });
  });
  it('turns Markdown into HTML: emphasis, line breaks, lists and links', async () => {
    const { body, bodyFormat } = await replyBody('Please **unplug** it.\nThen wait.\n\n- one\n- two\n\n[status](https://status.example)', 'MARKDOWN');
    expect(bodyFormat).toBe('HTML');
    expect(body).toContain('<p>Please <strong>unplug</strong> it.<br>Then wait.</p>');
    expect(body).toContain('<li>one</li>');
    expect(body).toContain('<a href="https://status.example">status</a>');
  });
});
