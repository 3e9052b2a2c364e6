/**
 * Just enough Markdown reading for the documentation tests: headings with the anchors GitHub gives
 * them, links and images outside code, and the fenced code blocks. Code (fenced blocks and inline
 * `code` spans) is never taken for a heading or a link, as GitHub does not render it as one.
 */

export interface MarkdownLink {
  target: string;
  line: number;
}

export interface CodeBlock {
  lang: string;
  body: string;
  line: number;
}

/** The lines of `text` with a flag saying whether each is inside a fenced code block (fences included). */
function fencedLines(text: string): { line: string; fenced: boolean }[] {
  let fence: string | undefined;
  return text.split('\n').map((line) => {
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined && marker) {
      fence = marker;
      return { line, fenced: true };
    }
    if (fence !== undefined) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length && line.trim() === marker) fence = undefined;
      return { line, fenced: true };
    }
    return { line, fenced: false };
  });
}

/** `line` with its inline code spans blanked out (same length, so positions keep their meaning). */
function withoutCodeSpans(line: string): string {
  return line.replace(/(`+)([\s\S]*?[^`])\1(?!`)/g, (m) => ' '.repeat(m.length));
}

/**
 * The anchor GitHub gives a heading: its rendered text (code spans keep their text, link markup
 * goes; `*` of emphasis is punctuation and dropped below) lower-cased, every character that is not a letter, a digit, a space, `-` or `_`
 * dropped, spaces turned into `-`.
 */
export function githubSlug(heading: string): string {
  const rendered = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`+/g, '')
    .replace(/<[^>]+>/g, '');
  return rendered
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of every heading of `text`, with GitHub's `-1`, `-2`… for repeated ones. */
export function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const { line, fenced } of fencedLines(text)) {
    if (fenced) continue;
    const m = /^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/.exec(line);
    if (!m) continue;
    const base = githubSlug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  for (const m of text.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) out.add(m[1]!);
  return out;
}

/** Every link and image target outside code, with its line number (1-based). */
export function links(text: string): MarkdownLink[] {
  const out: MarkdownLink[] = [];
  fencedLines(text).forEach(({ line, fenced }, i) => {
    if (fenced) return;
    const plain = withoutCodeSpans(line);
    for (const m of plain.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push({ target: m[1]!, line: i + 1 });
    for (const m of plain.matchAll(/^\s*\[[^\]]+\]:\s+(\S+)/g)) out.push({ target: m[1]!, line: i + 1 });
  });
  return out;
}

/** The fenced code blocks of `text`, with their language and the line of their opening fence. */
export function codeBlocks(text: string): CodeBlock[] {
  const out: CodeBlock[] = [];
  let current: CodeBlock | undefined;
  let open = false;
  fencedLines(text).forEach(({ line, fenced }, i) => {
    if (!fenced) return;
    if (!open) {
      current = { lang: line.replace(/^ {0,3}(`{3,}|~{3,})/, '').trim(), body: '', line: i + 1 };
      open = true;
      return;
    }
    if (/^ {0,3}(`{3,}|~{3,})\s*$/.test(line)) {
      out.push(current!);
      open = false;
      return;
    }
    current!.body += `${line}\n`;
  });
  return out;
}

/** The text of `text` outside fenced code blocks (inline code kept). */
export function prose(text: string): string {
  return fencedLines(text)
    .filter((l) => !l.fenced)
    .map((l) => l.line)
    .join('\n');
}
