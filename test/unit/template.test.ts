import { describe, expect, it } from 'vitest';
import { parseVarFlags, substitute, templateVariables } from '../../src/core/template.js';
import { promptWarnings, renderPromptFor, type PromptInput, type Template } from '../../src/core/prompt.js';
import type { Issue } from '../../src/core/issue.js';
import { FleetError } from '../../src/errors.js';

const tpl = (text: string, name = 't'): Template => ({ name, text, source: 'user', path: `/home/u/.ai_fleet/templates/${name}.md` });
const input = (over: Partial<PromptInput>): PromptInput => ({ template: null, vars: {}, issue: null, branch: 'fix-1', repo: 'app', base: 'main', ...over });
const issue: Issue = {
  provider: 'github',
  ref: '#123',
  number: '123',
  title: 'Login fails on "Safari"',
  body: 'Steps:\r\n1. run `make`\r\n2. $(whoami)\n',
  url: 'https://github.com/o/r/issues/123',
  labels: ['bug', 'auth'],
};

function caught(f: () => unknown): FleetError {
  try {
    f();
  } catch (e) {
    return e as FleetError;
  }
  throw new Error('expected an error');
}

describe('templateVariables', () => {
  it('finds names in order of first use, once each, with spaces and dots', () => {
    expect(templateVariables('{{a}} {{ issue.title }} {{\tb-c\t}} {{a}} {{x_1.y-2.z}}')).toEqual(['a', 'issue.title', 'b-c', 'x_1.y-2.z']);
  });
  it('leaves what is not a name alone: Go templates, handlebars blocks, newlines inside braces, single braces', () => {
    expect(templateVariables('{{ .Field }} {{#each x}} {{\nname\n}} {name} {{1abc}} {{a b}}')).toEqual([]);
  });
  it('does not count escaped placeholders', () => {
    expect(templateVariables('\\{{a}} {{b}}')).toEqual(['b']);
  });
});

describe('substitute', () => {
  const values = new Map(Object.entries({ a: 'A', 'issue.title': 'T', b: 'B' }));
  const look = (n: string) => values.get(n);

  it('replaces placeholders with and without padding', () => {
    expect(substitute('x{{a}}y{{ a }}z{{\tissue.title  }}', look)).toEqual({ text: 'xAyAzT', missing: [] });
  });

  it('puts values in byte for byte: quotes, $(), backticks, newlines, backslashes, braces, unicode', () => {
    const v = `it's "quoted" $(rm -rf ~) \`id\` ; echo hi\nline 2\r\n\\n \\{{a}} {{b}} — ✓ 🚀`;
    const r = substitute('[{{v}}]', (n) => (n === 'v' ? v : undefined));
    expect(r.text).toBe(`[${v}]`);
    // A value is never scanned again: a placeholder inside a value stays as the value wrote it.
    expect(r.text).toContain('{{b}}');
  });

  it('\\{{ is a literal {{; \\\\{{x}} is a backslash and then the placeholder', () => {
    expect(substitute('\\{{a}}', look).text).toBe('{{a}}');
    expect(substitute('\\\\{{a}}', look).text).toBe('\\A');
    expect(substitute('\\\\\\{{a}}', look).text).toBe('\\{{a}}');
    expect(substitute('C:\\path {{a}}', look).text).toBe('C:\\path A'); // other backslashes stay
    expect(substitute('{{{a}}}', look).text).toBe('{A}');
    expect(substitute('{{ .Field }} and {{ a }}', look).text).toBe('{{ .Field }} and A');
  });

  it('collects every missing name and renders nothing new for them', () => {
    const r = substitute('{{a}} {{nope}} {{ also.nope }} {{nope}}', look);
    expect(r.missing).toEqual(['nope', 'also.nope']);
  });
});

describe('parseVarFlags', () => {
  it('splits at the first "=", keeps everything after it, last one wins', () => {
    expect(parseVarFlags(['focus=a=b', 'x=', 'y= spaced ', 'focus=second'])).toEqual({ focus: 'second', x: '', y: ' spaced ' });
  });
  it('refuses a flag without "=", a bad name, and built-in names, as usage errors', () => {
    for (const [flag, re] of [
      ['focus', /not key=value/],
      ['=x', /not key=value/],
      ['a b=1', /variable name/],
      ['branch=x', /filled in by fleet/],
      ['prompt=x', /filled in by fleet/],
      ['issue.title=x', /filled in by fleet/],
    ] as const) {
      const e = caught(() => parseVarFlags([flag]));
      expect(e.message).toMatch(re);
      expect(e.exitCode).toBe(2);
    }
    expect(caught(() => parseVarFlags(['prompt=x'])).hint).toMatch(/--prompt/);
    expect(caught(() => parseVarFlags(['issue.body=x'])).hint).toMatch(/--issue/);
  });
});

describe('renderPromptFor', () => {
  it('without a template: the --prompt text as is', () => {
    expect(renderPromptFor(input({ prompt: 'do "it"\n$(x)' }))).toBe('do "it"\n$(x)');
  });

  it('without a template but with an issue: title, URL, labels and body, after the --prompt text if any', () => {
    const text = renderPromptFor(input({ issue }));
    expect(text).toBe(`GitHub issue #123: Login fails on "Safari"\nhttps://github.com/o/r/issues/123\nLabels: bug, auth\n\nSteps:\r\n1. run \`make\`\r\n2. $(whoami)`);
    expect(renderPromptFor(input({ issue, prompt: 'Fix this.' }))).toBe(`Fix this.\n\n${text}`);
    expect(renderPromptFor(input({ issue: { ...issue, body: '  \n', labels: [] } }))).toBe(
      'GitHub issue #123: Login fails on "Safari"\nhttps://github.com/o/r/issues/123\n\n(no description)',
    );
  });

  it('a template gets built-ins, --var values, the prompt and the issue, byte for byte', () => {
    const t = tpl('On {{branch}} of {{repo}} (from {{base}}): {{focus}}\n{{prompt}}\n#{{issue.number}} {{issue.title}} [{{issue.labels}}] {{issue.url}}\n{{issue.body}}');
    const focus = `a'b"c $(d) \`e\`\nf`;
    const text = renderPromptFor(input({ template: t, vars: { focus }, prompt: 'P;\n|', issue, branch: 'issue-123-x-2', base: 'origin/main' }));
    expect(text).toBe(
      `On issue-123-x-2 of app (from origin/main): ${focus}\nP;\n|\n#123 Login fails on "Safari" [bug, auth] https://github.com/o/r/issues/123\n${issue.body}`,
    );
  });

  it('each agent of a fanout gets its own branch', () => {
    const t = tpl('work on {{branch}}');
    expect(['p-1', 'p-2'].map((branch) => renderPromptFor(input({ template: t, branch })))).toEqual(['work on p-1', 'work on p-2']);
  });

  it('a missing variable names every missing one, how to set it, and what is set', () => {
    const t = tpl('{{focus}} {{prompt}} {{issue.title}} {{area}}', 'review');
    const e = caught(() => renderPromptFor(input({ template: t, vars: { other: '1' } })));
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe('template "review" needs {{focus}}, {{prompt}}, {{issue.title}}, {{area}}, which are not set');
    expect(e.hint).toBe('add --var focus=VALUE; add --prompt TEXT; add --issue REF; add --var area=VALUE (set now: base, branch, other, repo)');
    // Everything set: it renders.
    expect(renderPromptFor(input({ template: t, issue, vars: { focus: 'x', area: 'y' }, prompt: 'p' }))).toBe('x p Login fails on "Safari" y');
  });

  it('an unknown issue.* variable points at the template file', () => {
    const e = caught(() => renderPromptFor(input({ template: tpl('{{issue.titel}}'), issue })));
    expect(e.message).toMatch(/needs \{\{issue\.titel\}\}, which is not set/);
    expect(e.hint).toMatch(/fix \{\{issue\.titel\}\} in \/home\/u\/\.ai_fleet\/templates\/t\.md \(issue variables: issue\.number, issue\.title/);
  });

  it('refuses --prompt text that the template would drop, and --var without a template', () => {
    expect(caught(() => renderPromptFor(input({ template: tpl('no prompt here', 'x'), prompt: 'lost' }))).message).toBe(
      'template "x" has no {{prompt}}, so the --prompt text would be lost',
    );
    expect(caught(() => renderPromptFor(input({ vars: { a: '1' }, prompt: 'p' }))).message).toBe('--var needs --template');
    expect(caught(() => renderPromptFor(input({}))).message).toBe('missing --prompt');
  });

  it('refuses a prompt holding a NUL byte, which no argument can carry', () => {
    expect(caught(() => renderPromptFor(input({ issue: { ...issue, body: 'a\0b' } }))).message).toMatch(/NUL byte \(from issue #123\)/);
  });
});

describe('promptWarnings', () => {
  it('names --var values the template never uses, and an issue whose text would not reach the agent', () => {
    const t = tpl('{{focus}} {{branch}}', 'r');
    expect(promptWarnings({ template: t, vars: { focus: 'a', fcous: 'b' }, issue })).toEqual([
      '--var fcous is not used by template "r" (it uses: focus, branch)',
      'template "r" uses no {{issue.*}} variable, so the text of issue #123 does not reach the agent',
    ]);
    expect(promptWarnings({ template: tpl('{{issue.body}}'), vars: {}, issue })).toEqual([]);
  });
});
