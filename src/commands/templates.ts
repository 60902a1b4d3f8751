import path from 'node:path';
import { Command } from 'commander';
import { loadContext, type Context } from '../context.js';
import { listTemplates, userTemplatesDir, varsNeeded, type TemplateEntry } from '../ops/templates.js';
import { renderTable } from '../ui/table.js';
import { tildify } from '../core/format.js';

export interface TemplatesOptions {
  json?: boolean;
}

export function templatesCommand(): Command {
  return new Command('templates')
    .description('list prompt templates (yours and this repository\'s) and the variables they use')
    .option('--json', 'print the templates as JSON')
    .addHelpText('after', `
Templates are Markdown files with {{name}} placeholders:
  yours             ~/.ai_fleet/templates/NAME.md (or $AI_FLEET_HOME/templates)
  the repository's  .fleet/templates/NAME.md (shared through git)
When both have NAME, yours is used; the repository's stays reachable as
repo:NAME. Built-in variables: {{prompt}} (the --prompt text), {{branch}},
{{repo}}, {{base}}, {{issue.number}}, {{issue.title}}, {{issue.body}},
{{issue.url}}, {{issue.labels}}; any other name is set with --var name=value.
\\{{ writes a literal {{.

Examples:
  fleet templates
  fleet create fix-auth --template bugfix --var area=auth \\
    --prompt "Login fails on Safari"
  fleet fanout 3 --issue 123 --template from-issue`)
    .action(async (opts: TemplatesOptions) => {
      const ctx = await loadContext({ json: opts.json });
      await runTemplates(ctx, opts);
    });
}

export async function runTemplates(ctx: Context, opts: TemplatesOptions): Promise<TemplateEntry[]> {
  const entries = listTemplates({ repoRoot: ctx.repo?.root ?? null, env: ctx.env, warn: (m) => ctx.ui.warn(m) });
  if (opts.json) {
    ctx.ui.out(
      JSON.stringify(
        entries.map((t) => ({ name: t.name, source: t.source, path: t.path, variables: t.variables, vars_needed: varsNeeded(t.variables), shadowed: t.shadowed })),
        null,
        2,
      ),
    );
    return entries;
  }
  if (entries.length === 0) {
    ctx.ui.out('no templates');
    const mine = tildify(path.join(userTemplatesDir(ctx.env), 'NAME.md'), ctx.env.HOME);
    ctx.ui.note(
      `hint: write one to ${mine}${ctx.repo ? ' (or .fleet/templates/NAME.md to share it through the repository)' : ''}, ` +
        'with {{prompt}}, {{branch}}, {{issue.title}}, {{issue.body}} or your own {{name}} where values go',
    );
    return entries;
  }
  const where = (t: TemplateEntry) =>
    t.source === 'user' ? tildify(t.path, ctx.env.HOME) : path.relative(ctx.repo?.root ?? '', t.path) + (t.shadowed ? ` (hidden by yours; use repo:${t.name})` : '');
  const vars = (t: TemplateEntry) => {
    const needed = new Set(varsNeeded(t.variables));
    return t.variables.map((v) => (needed.has(v) ? `${v}*` : v)).join(', ') || '-';
  };
  ctx.ui.out(
    await renderTable(
      [
        { head: 'name', cell: (t: TemplateEntry) => t.name },
        { head: 'from', cell: where },
        { head: 'variables', cell: vars },
      ],
      entries,
      { color: ctx.ui.color },
    ),
  );
  const footer: string[] = [];
  if (entries.some((t) => varsNeeded(t.variables).length > 0)) footer.push('* set with --var NAME=VALUE');
  const example = entries.find((t) => !t.shadowed)!;
  footer.push(`use: fleet create BRANCH --template ${example.name}${varsNeeded(example.variables).map((v) => ` --var ${v}=…`).join('')}${example.variables.includes('prompt') ? ' --prompt "…"' : ''}${example.variables.some((v) => v.startsWith('issue.')) ? ' --issue 123' : ''}`);
  ctx.ui.note(footer.join('\n'));
  return entries;
}
