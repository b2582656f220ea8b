import {
  MAX_MENTIONS_PER_KIND,
  extractMentions,
  renderMessageHtml as render,
  type RenderContext,
} from '../../shared/markdown/index.js';

/** The tags and attributes the renderer may produce; anything else in the output is a defect. */
const ALLOWED: Record<string, readonly string[]> = {
  p: [],
  br: [],
  strong: [],
  em: [],
  u: [],
  s: [],
  code: ['class'],
  pre: [],
  blockquote: [],
  a: ['href', 'title', 'rel', 'target'],
  span: ['class', 'data-user-id', 'data-role-id', 'data-channel-id'],
  img: ['class', 'alt', 'src', 'data-animated'],
};
const SAFE_HREF = /^(?:https?:\/\/|mailto:)/;

interface Tag {
  name: string;
  attrs: [string, string][];
}

/**
 * Splits the output into tags and checks each one strictly: a known tag, known attributes, every
 * value double-quoted and free of raw `<`, `>`, `"`, and no stray characters inside the tag.
 */
function tagsOf(html: string): Tag[] {
  const tags: Tag[] = [];
  for (const m of html.matchAll(/<(\/?)([^\s>/]*)([^>]*)>/g)) {
    const [whole, closing, name = '', rest = ''] = m;
    expect(ALLOWED).toHaveProperty([name]);
    if (closing) {
      expect(rest).toBe('');
      continue;
    }
    const attrs: [string, string][] = [];
    const leftover = rest.replace(/ ([a-z-]+)="([^"<>]*)"/g, (_all, key: string, value: string) => {
      attrs.push([key, value]);
      return '';
    });
    if (leftover !== '') throw new Error(`unexpected text inside tag ${whole}`);
    for (const [key, value] of attrs) {
      expect(ALLOWED[name]).toContain(key);
      if (key === 'href') expect(value).toMatch(SAFE_HREF);
    }
    tags.push({ name, attrs });
  }
  return tags;
}

/** Asserts the output is made of allowed tags only, and has no script, handler or script URL. */
function expectSafe(html: string): void {
  tagsOf(html);
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/<img(?![^>]*class="emoji")/i);
  // Attribute names only: an escaped `onclick=` inside a title's value is text, not a handler.
  expect(html.replace(/="[^"]*"/g, '=""')).not.toMatch(/<[^>]*\son[a-z]+=/i);
  expect(html).not.toMatch(/<[^>]*="[^"]*javascript:/i);
}

const hrefs = (html: string): string[] =>
  tagsOf(html)
    .filter((t) => t.name === 'a')
    .map((t) => t.attrs.find(([k]) => k === 'href')?.[1] ?? '');

const count = (html: string, needle: string): number => html.split(needle).length - 1;

const LINK_ATTRS = 'rel="noopener noreferrer nofollow" target="_blank"';

describe('renderMessageHtml: formatting', () => {
  it.each([
    ['**bold**', '<p><strong>bold</strong></p>\n'],
    ['*italic*', '<p><em>italic</em></p>\n'],
    ['_italic_', '<p><em>italic</em></p>\n'],
    ['~~strike~~', '<p><s>strike</s></p>\n'],
    ['__underline__', '<p><u>underline</u></p>\n'],
    ['___both___', '<p><em><u>both</u></em></p>\n'],
    ['**bold __under__**', '<p><strong>bold <u>under</u></strong></p>\n'],
    ['`inline <code>`', '<p><code>inline &lt;code&gt;</code></p>\n'],
    ['||secret||', '<p><span class="spoiler">secret</span></p>\n'],
    ['||**bold** secret||', '<p><span class="spoiler"><strong>bold</strong> secret</span></p>\n'],
    ['a||b||c', '<p>a<span class="spoiler">b</span>c</p>\n'],
    ['|||x|||', '<p>|<span class="spoiler">x</span>|</p>\n'],
    ['a | b || c', '<p>a | b || c</p>\n'],
    ['\\|\\|not\\|\\|', '<p>||not||</p>\n'],
    ['\\*\\*not\\*\\*', '<p>**not**</p>\n'],
    ['snake_case_name', '<p>snake_case_name</p>\n'],
    ['> quoted', '<blockquote>\n<p>quoted</p>\n</blockquote>\n'],
    ['line one\nline two', '<p>line one<br>\nline two</p>\n'],
    ['&amp; stays as typed', '<p>&amp;amp; stays as typed</p>\n'],
  ])('%j', (input, expected) => {
    expect(render(input)).toBe(expected);
  });

  it('renders a fenced code block, escaped, with its language as a class', () => {
    expect(render('```ts\nconst a = "<b>" && 1;\n```')).toBe(
      '<pre><code class="language-ts">const a = &quot;&lt;b&gt;&quot; &amp;&amp; 1;\n</code></pre>\n',
    );
    expect(render('```\nplain\n```')).toBe('<pre><code>plain\n</code></pre>\n');
  });

  it.each([
    ['c++', 'c++'],
    ['c#', 'c#'],
    ['objective-c', 'objective-c'],
    ['JS', 'js'],
    ['python extra words', 'python'],
    ['x onmouseover=alert(1)', 'x'],
  ])('keeps the code language %j as language-%s', (lang, cls) => {
    expect(render(`\`\`\`${lang}\nx\n\`\`\``)).toBe(`<pre><code class="language-${cls}">x\n</code></pre>\n`);
  });

  it.each(['"><script>alert(1)</script>', 'a"b', '"x" onmouseover=alert(1)', 'a'.repeat(21), 'py$', 'é'])(
    'refuses the code language %j',
    (lang) => {
      const html = render(`\`\`\`${lang}\nx\n\`\`\``);
      expect(html).toBe('<pre><code>x\n</code></pre>\n');
      expectSafe(html);
    },
  );

  it.each([
    ['# heading', '<p># heading</p>\n'],
    ['### heading', '<p>### heading</p>\n'],
    ['title\n===', '<p>title<br>\n===</p>\n'],
    ['---', '<p>---</p>\n'],
    ['- item', '<p>- item</p>\n'],
    ['    indented', '<p>indented</p>\n'],
    [
      '[ref]\n\n[ref]: https://example.com',
      `<p>[ref]</p>\n<p>[ref]: <a href="https://example.com" ${LINK_ATTRS}>https://example.com</a></p>\n`,
    ],
  ])('does not render block syntax outside chat Markdown: %j', (input, expected) => {
    expect(render(input)).toBe(expected);
  });

  it('renders no images', () => {
    const html = render('![alt text](https://example.com/a.png)');
    expect(html).not.toContain('<img');
    expect(html).toContain('alt text');
    expectSafe(html);
  });

  it('renders no tables', () => {
    const html = render('| a | b |\n|---|---|\n| 1 | 2 |');
    expect(html).not.toMatch(/<t(able|r|d|h)/);
    expect(html).toContain('| a | b |');
  });
});

describe('renderMessageHtml: links', () => {
  it.each([
    ['[site](https://example.com/a?b=1&c=2)', 'https://example.com/a?b=1&amp;c=2', 'site'],
    ['[site](http://example.com)', 'http://example.com', 'site'],
    ['[mail me](mailto:someone@example.com)', 'mailto:someone@example.com', 'mail me'],
    ['<https://example.com/x>', 'https://example.com/x', 'https://example.com/x'],
    ['<someone@example.com>', 'mailto:someone@example.com', 'someone@example.com'],
    ['https://example.com/a_b_c', 'https://example.com/a_b_c', 'https://example.com/a_b_c'],
  ])('links %j with noopener, noreferrer, nofollow and a new tab', (input, href, text) => {
    expect(render(input)).toBe(`<p><a href="${href}" ${LINK_ATTRS}>${text}</a></p>\n`);
  });

  it('does not linkify scheme-less text', () => {
    expect(render('see example.com or me@example.com')).toBe('<p>see example.com or me@example.com</p>\n');
  });

  it.each([
    '[x](javascript:alert(1))',
    '[x](JaVaScRiPt:alert(1))',
    '[x]( javascript:alert(1) )',
    '[x](<javascript:alert(1)>)',
    '[x](data:text/html,<script>alert(1)</script>)',
    '[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
    '[x](vbscript:msgbox(1))',
    '[x](file:///etc/passwd)',
    '[x](&#106;avascript:alert(1))',
    '[x](&#x6A;avascript:alert(1))',
    '[x](java&#x09;script:alert(1))',
    '[x](javascript&colon;alert(1))',
    '[x](\\javascript:alert(1))',
    '[x](//evil.com)',
    '[x](/relative/path)',
    '[x](relative)',
    '[x](ftp://example.com)',
    '<javascript:alert(1)>',
    '<JAVASCRIPT:alert(1)>',
    '<data:text/html,x>',
    '<vbscript:x>',
    '//evil.com',
    'javascript:alert(1)',
    'ftp://example.com',
  ])('never makes an href of %j', (input) => {
    const html = render(input);
    expect(html).not.toContain('href');
    expect(html).not.toContain('<a');
    expectSafe(html);
  });

  it('leaves a refused link as its text', () => {
    expect(render('[x](javascript:alert(1))')).toBe('<p>[x](javascript:alert(1))</p>\n');
    expect(render('<javascript:alert(1)>')).toBe('<p>&lt;javascript:alert(1)&gt;</p>\n');
  });

  it('does not let quotes in a link URL break out of the href', () => {
    const html = render('[x](https://example.com/"><script>alert(1)</script>)');
    expectSafe(html);
    expect(hrefs(html).every((h) => !h.includes('"'))).toBe(true);
  });

  it('does not let quotes in link text or title add attributes', () => {
    const html = render('[a" onmouseover="alert(1)](https://example.com "t\\" onclick=\\"alert(1)")');
    expectSafe(html);
    expect(html).toBe(
      '<p><a href="https://example.com" title="t&quot; onclick=&quot;alert(1)" ' +
        `${LINK_ATTRS}>a&quot; onmouseover=&quot;alert(1)</a></p>\n`,
    );
  });

  it.each([
    '[t"><script>alert(1)</script>](https://example.com/?q="><script>alert(1)</script>)',
    '<https://example.com/"onmouseover="alert(1)>',
    'https://example.com/"><img src=x onerror=alert(1)>',
    '[x](https://example.com/ "a"><script>")',
    '[<img src=x onerror=alert(1)>](https://example.com)',
  ])('keeps %j inert', (input) => {
    expectSafe(render(input));
  });
});

describe('renderMessageHtml: raw HTML', () => {
  it('escapes a script tag', () => {
    expect(render('<script>alert(1)</script>')).toBe('<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n');
  });

  it('escapes an image with an error handler', () => {
    const html = render('<img src=x onerror=alert(1)>');
    expect(html).toBe('<p>&lt;img src=x onerror=alert(1)&gt;</p>\n');
    expectSafe(html);
  });

  it.each([
    '<div onclick="alert(1)">x</div>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<a href="javascript:alert(1)">x</a>',
    '<!-- comment --><script>x</script>',
    '<svg/onload=alert(1)>',
    '<style>*{}</style>',
    '<div>\n\n<script>alert(1)</script>\n\n</div>',
  ])('escapes %j', (input) => {
    const html = render(input);
    expectSafe(html);
    expect(tagsOf(html).map((t) => t.name)).toEqual(expect.arrayContaining(['p']));
    expect(html).toContain('&lt;');
  });
});

describe('renderMessageHtml: chat tokens', () => {
  const ctx: RenderContext = {
    users: new Map([
      ['123', 'alice'],
      ['456', '<b>"bob"</b>'],
    ]),
    roles: new Map([['77', 'Moderators']]),
    channels: new Map([['88', 'general']]),
  };

  it('renders user mentions, with and without the nickname marker', () => {
    expect(render('hi <@123> and <@!123>', ctx)).toBe(
      '<p>hi <span class="mention" data-user-id="123">@alice</span> and ' +
        '<span class="mention" data-user-id="123">@alice</span></p>\n',
    );
  });

  it('escapes names', () => {
    const html = render('<@456>', ctx);
    expect(html).toBe(
      '<p><span class="mention" data-user-id="456">@&lt;b&gt;&quot;bob&quot;&lt;/b&gt;</span></p>\n',
    );
    expectSafe(html);
  });

  it('renders unknown users, roles and channels without a name', () => {
    expect(render('<@999> <@&999> <#999>', ctx)).toBe(
      '<p><span class="mention" data-user-id="999">@unknown-user</span> ' +
        '<span class="mention" data-role-id="999">@unknown-role</span> ' +
        '<span class="mention" data-channel-id="999">#unknown-channel</span></p>\n',
    );
    expect(render('<@1>')).toBe('<p><span class="mention" data-user-id="1">@unknown-user</span></p>\n');
  });

  it('renders role and channel mentions', () => {
    expect(render('<@&77> see <#88>', ctx)).toBe(
      '<p><span class="mention" data-role-id="77">@Moderators</span> see ' +
        '<span class="mention" data-channel-id="88">#general</span></p>\n',
    );
  });

  it('renders custom emoji, static and animated', () => {
    expect(render('<:party_time:42> <a:dance:43>')).toBe(
      '<p><img class="emoji" alt=":party_time:" src="/media/emojis/42.webp"> ' +
        '<img class="emoji" alt=":dance:" src="/media/emojis/43.webp" data-animated="true"></p>\n',
    );
  });

  it('uses the emoji base URL from the context', () => {
    expect(render('<:ok:5>', { emojiBaseUrl: 'https://cdn.example.com/emojis/' })).toBe(
      '<p><img class="emoji" alt=":ok:" src="https://cdn.example.com/emojis/5.webp"></p>\n',
    );
  });

  it.each([
    ['<:a:1>', 'name too short'],
    [`<:${'a'.repeat(33)}:1>`, 'name too long'],
    ['<:bad-name:1>', 'name with a dash'],
    ['<:ok:12a>', 'id not digits'],
    [`<@${'1'.repeat(21)}>`, 'id over 20 digits'],
    ['<@>', 'no id'],
    ['<@ 123>', 'space'],
    ['<#abc>', 'channel id not digits'],
    ['<@&>', 'no role id'],
  ])('leaves %j as text (%s)', (input) => {
    const html = render(input, ctx);
    expect(html).not.toContain('<span');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;');
  });

  it('accepts a 20-digit snowflake', () => {
    const id = '1'.repeat(20);
    expect(render(`<@${id}>`)).toContain(`data-user-id="${id}"`);
  });

  it('does not render tokens inside inline code or code blocks', () => {
    const html = render('`<@123> <:ok:5> @everyone`\n```\n<@&77> <#88>\n```', {
      ...ctx,
      mentionEveryone: true,
    });
    expect(html).toBe(
      '<p><code>&lt;@123&gt; &lt;:ok:5&gt; @everyone</code></p>\n' +
        '<pre><code>&lt;@&amp;77&gt; &lt;#88&gt;\n</code></pre>\n',
    );
  });

  it('does not render an escaped token', () => {
    expect(render('\\<@123>', ctx)).toBe('<p>&lt;@123&gt;</p>\n');
  });

  it('renders tokens inside formatting, quotes and spoilers', () => {
    expect(render('> **<@123>** ||<#88>||', ctx)).toBe(
      '<blockquote>\n<p><strong><span class="mention" data-user-id="123">@alice</span></strong> ' +
        '<span class="spoiler"><span class="mention" data-channel-id="88">#general</span></span></p>\n' +
        '</blockquote>\n',
    );
  });

  it('tells @here alone apart from @everyone (with or without @here)', () => {
    expect(extractMentions('@here standup')).toMatchObject({ everyone: true, hereOnly: true });
    expect(extractMentions('@everyone and @here')).toMatchObject({ everyone: true, hereOnly: false });
    expect(extractMentions('`@here` in code')).toMatchObject({ everyone: false, hereOnly: false });
  });

  it('renders @everyone and @here as mentions only when the context allows it', () => {
    expect(render('@everyone and @here', { mentionEveryone: true })).toBe(
      '<p><span class="mention mention-everyone">@everyone</span> and ' +
        '<span class="mention mention-everyone">@here</span></p>\n',
    );
    expect(render('@everyone and @here', { mentionEveryone: false })).toBe('<p>@everyone and @here</p>\n');
    expect(render('@everyone and @here')).toBe('<p>@everyone and @here</p>\n');
  });

  it('does not take parts of words for @everyone / @here', () => {
    const html = render('me@here.com @everyoneelse @here_', { mentionEveryone: true });
    expect(html).toBe('<p>me@here.com @everyoneelse @here_</p>\n');
  });
});

describe('extractMentions', () => {
  it('returns distinct ids in order of first appearance', () => {
    expect(
      extractMentions('<@2> <@!1> <@2> <@&20> <@&10> <@&20> <#300> <#100> <#300> <:bb:9> <a:aa:8> <:bb:9>'),
    ).toEqual({
      users: ['2', '1'],
      roles: ['20', '10'],
      channels: ['300', '100'],
      everyone: false,
      hereOnly: false,
      emojis: [
        { name: 'bb', id: '9', animated: false },
        { name: 'aa', id: '8', animated: true },
      ],
    });
  });

  it('ignores inline code and code blocks', () => {
    const content = '`<@1> @everyone` <@2>\n```\n<@3> <@&4> <#5> <:xx:6> @here\n```\n~~<@7>~~';
    expect(extractMentions(content)).toEqual({
      users: ['2', '7'],
      roles: [],
      channels: [],
      everyone: false,
      hereOnly: false,
      emojis: [],
    });
  });

  it('ignores escaped tokens', () => {
    expect(extractMentions('\\<@1> \\@everyone').users).toEqual([]);
  });

  it.each([
    ['@everyone', true],
    ['hey @here!', true],
    ['> @everyone', true],
    ['`@everyone`', false],
    ['```\n@here\n```', false],
    ['me@here.com', false],
    ['nothing', false],
  ])('everyone for %j is %s', (content, everyone) => {
    expect(extractMentions(content).everyone).toBe(everyone);
  });

  it('caps each kind at 100', () => {
    const ids = Array.from({ length: 150 }, (_v, i) => String(1000 + i));
    const content = ids.map((id) => `<@${id}> <@&${id}> <#${id}> <:e${id}:${id}>`).join(' ');
    const found = extractMentions(content);
    expect(MAX_MENTIONS_PER_KIND).toBe(100);
    expect(found.users).toEqual(ids.slice(0, 100));
    expect(found.roles).toEqual(ids.slice(0, 100));
    expect(found.channels).toEqual(ids.slice(0, 100));
    expect(found.emojis.map((e) => e.id)).toEqual(ids.slice(0, 100));
  });

  it('extracts exactly what renders as a mention', () => {
    const content = '<@1> `<@2>` [<@3>](https://example.com) **<@4>**\n```\n<@5>\n```\n> <@6> ||<@7>||';
    const rendered = [...render(content).matchAll(/data-user-id="(\d+)"/g)].map((m) => m[1]);
    expect(extractMentions(content).users).toEqual(rendered);
    expect(rendered).toEqual(['1', '3', '4', '6', '7']);
  });
});

describe('long input', () => {
  const N = 100_000;

  it.each([
    ['plain words', 'word '.repeat(N / 5), 0],
    ['asterisks', '*'.repeat(N), 0],
    ['pipes', '|'.repeat(N), 0],
    ['open brackets', '['.repeat(N), 0],
    ['unclosed links', '[a]('.repeat(N / 4), 0],
    ['angle brackets', '<@'.repeat(N / 2), 0],
    ['backticks', '`a'.repeat(N / 2), 0],
    ['quote markers', '>'.repeat(N), 0],
    ['lines', 'a\n'.repeat(N / 2), N / 2 - 1],
  ])('renders 100k chars of %s', (_name, input, breaks) => {
    const html = render(input);
    expect(html.startsWith('<')).toBe(true);
    expect(count(html, '<br>')).toBe(breaks);
    expectSafe(html.slice(0, 5000));
  });

  it('renders every repeated token', () => {
    const unit = '**b** ||s|| <@1> <:ok:2> https://example.com ';
    const n = Math.floor(N / unit.length);
    const html = render(unit.repeat(n), { users: new Map([['1', 'u']]) });
    expect(count(html, '<strong>b</strong>')).toBe(n);
    expect(count(html, '<span class="spoiler">s</span>')).toBe(n);
    expect(count(html, 'data-user-id="1"')).toBe(n);
    expect(count(html, 'class="emoji"')).toBe(n);
    expect(count(html, '<a href="https://example.com"')).toBe(n);
    expect(extractMentions(unit.repeat(n)).users).toEqual(['1']);
  });
});
