/**
 * Reads the tsvirt element back out of a domain's XML (as libvirt returns it), so a restarted
 * handler can re-adopt its domains by VMI uid and recognise orphans. A domain without the element
 * is not ours and is never touched.
 */
import { TSVIRT_DOMAIN_XMLNS } from './vmi-to-domain.js';
import { DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS } from '../../api/defaults.js';

export interface TsvirtDomainMetadata {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly graceSeconds: number;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

const XMLNS = new RegExp(`xmlns:([A-Za-z_][\\w.-]*)=["']${escapeRegExp(TSVIRT_DOMAIN_XMLNS)}["']`);

function unescapeXml(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&apos;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
}

function child(xml: string, prefix: string, name: string): string | undefined {
  const m = new RegExp(`<${prefix}:${name}>([^<]*)</${prefix}:${name}>`).exec(xml);
  return m?.[1] === undefined ? undefined : unescapeXml(m[1]);
}

/** The tsvirt metadata of a domain, or undefined when the domain carries none (not ours). */
export function readTsvirtMetadata(domainXml: string): TsvirtDomainMetadata | undefined {
  const metadata = /<metadata>([\s\S]*?)<\/metadata>/.exec(domainXml)?.[1];
  if (metadata === undefined) return undefined;
  const prefix = XMLNS.exec(metadata)?.[1];
  if (prefix === undefined) return undefined;
  const uid = child(metadata, prefix, 'uid');
  const namespace = child(metadata, prefix, 'namespace');
  const name = child(metadata, prefix, 'name');
  if (uid === undefined || namespace === undefined || name === undefined) return undefined;
  const grace = Number(child(metadata, prefix, 'gracePeriodSeconds'));
  return {
    uid,
    namespace,
    name,
    graceSeconds: Number.isFinite(grace) && grace >= 0 ? grace : DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS,
  };
}
