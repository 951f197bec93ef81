// Building HTML as strings, safely: every interpolated value is escaped unless it is already Html.
// A tiny tagged template instead of a template engine: the pages are few and fully typed this way.

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

type Part = Html | string | number | null | undefined | false | readonly Part[];

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function render(p: Part): string {
  if (p === null || p === undefined || p === false) return '';
  if (p instanceof Html) return p.text;
  if (Array.isArray(p)) return p.map(render).join('');
  return esc(String(p));
}

export function html(strings: TemplateStringsArray, ...parts: Part[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < parts.length; i++) out += render(parts[i]!) + strings[i + 1]!;
  return new Html(out);
}

export const raw = (s: string): Html => new Html(s);

/** JSON for a <script type="application/json"> block: nothing in it can close the script element. */
export function jsonScript(id: string, value: unknown): Html {
  const text = JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return raw(`<script type="application/json" id="${esc(id)}">${text}</script>`);
}

/** Inline JavaScript; a "</script" inside would end the element early, so it is split. */
export function inlineScript(js: string): Html {
  return raw(`<script>${js.replace(/<\/script/gi, '<\\/script')}</script>`);
}
