/**
 * A tiny XML writer for the domain document: elements with ordered attributes, so the output is
 * stable byte for byte (golden files compare whole documents).
 */
export interface XmlElement {
  readonly name: string;
  readonly attrs: ReadonlyArray<readonly [string, string]>;
  readonly children: ReadonlyArray<XmlElement | string>;
}

type Attrs = Readonly<Record<string, string | number | undefined>>;

/** An element; attributes keep their insertion order and undefined ones are left out. */
export function el(
  name: string,
  attrs: Attrs = {},
  ...children: ReadonlyArray<XmlElement | string | undefined>
): XmlElement {
  const pairs = Object.entries(attrs).flatMap(([k, v]) => (v === undefined ? [] : [[k, String(v)] as const]));
  return { name, attrs: pairs, children: children.filter((c): c is XmlElement | string => c !== undefined) };
}

export function escapeXml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/'/g, '&apos;')
    .replace(/"/g, '&quot;');
}

function openTag(e: XmlElement): string {
  return `<${e.name}${e.attrs.map(([k, v]) => ` ${k}='${escapeXml(v)}'`).join('')}`;
}

/** Renders with two-space indentation; an element holding only text stays on one line. */
export function renderXml(e: XmlElement, depth = 0): string {
  const pad = '  '.repeat(depth);
  if (e.children.length === 0) return `${pad}${openTag(e)}/>\n`;
  const texts = e.children.filter((c): c is string => typeof c === 'string');
  if (texts.length === e.children.length) return `${pad}${openTag(e)}>${texts.map(escapeXml).join('')}</${e.name}>\n`;
  const inner = e.children
    .map((c) => (typeof c === 'string' ? `${pad}  ${escapeXml(c)}\n` : renderXml(c, depth + 1)))
    .join('');
  return `${pad}${openTag(e)}>\n${inner}${pad}</${e.name}>\n`;
}
