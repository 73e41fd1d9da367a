/**
 * The one place tsvirt calls libvirt (@unraid/libvirt). The binding has no events and no
 * streams, so domain state is followed by polling {@link LibvirtConnection.listTsvirtDomains},
 * which is cheap (one list, one getInfo per domain; the XML is read once per domain to find its
 * tsvirt metadata). A lost connection (libvirtd restarted) is reopened on the next call; while it
 * is down, calls throw {@link LibvirtUnavailableError} and nobody concludes a domain is gone.
 */
import { Hypervisor, type Domain } from '@unraid/libvirt';
import { readTsvirtMetadata, type TsvirtDomainMetadata } from '../domain/metadata.js';
import { type DomainObservation, type DomainState, domainStateFromCode } from '../domain/state.js';

/** libvirt could not be reached: no conclusion about any domain may be drawn from it. */
export class LibvirtUnavailableError extends Error {
  override readonly name = 'LibvirtUnavailableError';
}

/** A libvirt call failed for this domain (define rejected, start failed): the message is libvirt's. */
export class LibvirtCallError extends Error {
  override readonly name = 'LibvirtCallError';
}

/** What {@link LibvirtConnection.ownerOf} says for a domain that is not tsvirt's. */
export const FOREIGN_DOMAIN = 'foreign';

export interface ObservedDomain {
  readonly name: string;
  readonly meta: TsvirtDomainMetadata;
  readonly state: DomainState;
}

const NOT_FOUND = /Domain not found|no domain with matching/i;
// Messages of a dead connection: the remote driver's and the binding's wording.
const CONNECTION_LOST =
  /client socket is closed|cannot recv data|connection.*(closed|reset)|End of file while reading|not connected|Broken pipe|invalid connection pointer|no connection driver/i;

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function isNotFound(e: unknown): boolean {
  return NOT_FOUND.test(messageOf(e));
}

interface CachedMeta {
  readonly uuid: string;
  readonly meta: TsvirtDomainMetadata | undefined;
}

export class LibvirtConnection {
  private hypervisor: Hypervisor | undefined;
  private opening: Promise<Hypervisor> | undefined;
  /** Metadata by domain name, checked against the UUID so a redefined domain is read again. */
  private readonly metaCache = new Map<string, CachedMeta>();

  constructor(readonly uri: string) {}

  /** Opens the connection now (the handler fails fast on a wrong URI at start). */
  async open(): Promise<void> {
    await this.connection();
  }

  private async connection(): Promise<Hypervisor> {
    if (this.hypervisor !== undefined) return this.hypervisor;
    this.opening ??= (async (): Promise<Hypervisor> => {
      const h = new Hypervisor({ uri: this.uri });
      try {
        await h.connectOpen();
      } catch (e) {
        throw new LibvirtUnavailableError(`Could not connect to libvirt at ${this.uri}: ${messageOf(e)}`);
      } finally {
        this.opening = undefined;
      }
      this.hypervisor = h;
      return h;
    })();
    return this.opening;
  }

  /** Runs one call; a dead connection is dropped (reopened next time) and reported as unavailable. */
  private async call<T>(what: string, fn: (h: Hypervisor) => Promise<T>, anyErrorIsLoss = false): Promise<T> {
    const h = await this.connection();
    try {
      return await fn(h);
    } catch (e) {
      // Listing all domains fails only when the connection does; its wording varies by transport.
      if (anyErrorIsLoss || CONNECTION_LOST.test(messageOf(e))) {
        this.drop(h);
        throw new LibvirtUnavailableError(`Lost the libvirt connection during ${what}: ${messageOf(e)}`);
      }
      throw e;
    }
  }

  private drop(h: Hypervisor): void {
    if (this.hypervisor !== h) return;
    this.hypervisor = undefined;
    // Closing a dead connection may fail; it is being replaced either way.
    h.connectClose().catch(() => undefined);
  }

  /**
   * Every domain carrying tsvirt metadata, with its state. Domains without the metadata are not
   * ours and are left out (never touched). Throws LibvirtUnavailableError when libvirt is down.
   */
  async listTsvirtDomains(): Promise<ReadonlyArray<ObservedDomain>> {
    return this.call(
      'listing domains',
      async (h) => {
        const domains = await h.connectListAllDomains();
        const seen = new Set<string>();
        const observed = await Promise.all(domains.map((d) => this.observeListed(h, d, seen)));
        for (const name of this.metaCache.keys()) if (!seen.has(name)) this.metaCache.delete(name);
        return observed.filter((o): o is ObservedDomain => o !== undefined);
      },
      true,
    );
  }

  private async observeListed(h: Hypervisor, d: Domain, seen: Set<string>): Promise<ObservedDomain | undefined> {
    try {
      const name = await h.domainGetName(d);
      seen.add(name);
      const meta = await this.metadataOf(h, d, name);
      if (meta === undefined) return undefined;
      const info = await h.domainGetInfo(d);
      return { name, meta, state: domainStateFromCode(info.state) };
    } catch (e) {
      // Undefined between the list and the read: it is simply not there any more.
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  private async metadataOf(h: Hypervisor, d: Domain, name: string): Promise<TsvirtDomainMetadata | undefined> {
    const uuid = await h.domainGetUUIDString(d);
    const cached = this.metaCache.get(name);
    if (cached?.uuid === uuid) return cached.meta;
    const meta = readTsvirtMetadata(await h.domainGetXMLDesc(d));
    this.metaCache.set(name, { uuid, meta });
    return meta;
  }

  /** One domain by name, if it is ours and belongs to `uid`; `missing` otherwise. */
  async observe(name: string, uid: string): Promise<DomainObservation> {
    return this.call('reading a domain', async (h) => {
      try {
        const d = await h.domainLookupByName(name);
        const meta = await this.metadataOf(h, d, name);
        if (meta?.uid !== uid) return { kind: 'missing' };
        const info = await h.domainGetInfo(d);
        return { kind: 'present', state: domainStateFromCode(info.state) };
      } catch (e) {
        if (isNotFound(e)) return { kind: 'missing' };
        throw e;
      }
    });
  }

  /**
   * Who a domain name belongs to: the VMI uid in its metadata, `foreign` for a domain without
   * tsvirt metadata, undefined when no domain has that name.
   */
  async ownerOf(name: string): Promise<string | undefined> {
    return this.call('reading a domain', async (h) => {
      try {
        const d = await h.domainLookupByName(name);
        return (await this.metadataOf(h, d, name))?.uid ?? FOREIGN_DOMAIN;
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    });
  }

  /** Defines the domain and starts it; a start failure undefines it again so nothing half-made stays. */
  async defineAndStart(xml: string): Promise<void> {
    await this.call('defining a domain', async (h) => {
      let d: Domain;
      try {
        d = await h.domainDefineXML(xml);
      } catch (e) {
        throw new LibvirtCallError(`libvirt refused the domain definition: ${messageOf(e)}`);
      }
      try {
        await h.domainCreate(d);
      } catch (e) {
        await h.domainUndefine(d).catch(() => undefined);
        throw new LibvirtCallError(`libvirt could not start the domain: ${messageOf(e)}`);
      }
    });
  }

  /** Defines the domain without starting it (a migration target waiting for its guest). */
  async define(xml: string): Promise<void> {
    await this.call('defining a domain', async (h) => {
      try {
        await h.domainDefineXML(xml);
      } catch (e) {
        throw new LibvirtCallError(`libvirt refused the domain definition: ${messageOf(e)}`);
      }
    });
  }

  /** ACPI power button. A domain that is already gone or off is fine. */
  async shutdown(name: string): Promise<void> {
    await this.onDomain('shutting down a domain', name, (h, d) => h.domainShutdown(d));
  }

  async destroy(name: string): Promise<void> {
    await this.onDomain('destroying a domain', name, (h, d) => h.domainDestroy(d));
  }

  /** Pauses the guest's vCPUs (virDomainSuspend). Throws LibvirtCallError with libvirt's reason. */
  async suspend(name: string): Promise<void> {
    await this.strictlyOnDomain('pausing a domain', name, (h, d) => h.domainSuspend(d));
  }

  /** Lets a paused guest run again (virDomainResume). Throws LibvirtCallError with libvirt's reason. */
  async resume(name: string): Promise<void> {
    await this.strictlyOnDomain('unpausing a domain', name, (h, d) => h.domainResume(d));
  }

  /**
   * Reboot: `acpi` presses the power button and, when the guest powers off, libvirt resets QEMU
   * instead of ending it ("fake reboot"); `agent` asks the guest agent. The binding has no
   * virDomainReboot, so this runs libvirt's own client, `virsh reboot`, on the same URI.
   */
  async reboot(name: string, mode: 'acpi' | 'agent' = 'acpi'): Promise<void> {
    await this.virsh(`rebooting ${name}`, ['reboot', name, '--mode', mode]);
  }

  /** Shutdown through the guest agent (`virsh shutdown --mode agent`); throws when no agent answers. */
  async agentShutdown(name: string): Promise<void> {
    await this.virsh(`shutting down ${name} through its agent`, ['shutdown', name, '--mode', 'agent']);
  }

  /**
   * One guest agent command through libvirt (`virsh qemu-agent-command`): the agent's JSON answer.
   * Throws LibvirtCallError when the agent does not answer within `timeoutSeconds`.
   */
  async agentCommand(name: string, execute: string, timeoutSeconds = 2): Promise<unknown> {
    const out = await this.virsh(`asking ${name}'s guest agent`, [
      'qemu-agent-command',
      name,
      JSON.stringify({ execute }),
      '--timeout',
      String(timeoutSeconds),
    ]);
    return JSON.parse(out) as unknown;
  }

  /** A human monitor command to the domain's QEMU (`virsh qemu-monitor-command --hmp`); its output. */
  async monitorCommand(name: string, command: string): Promise<string> {
    return this.virsh(`running "${command}" on ${name}`, ['qemu-monitor-command', name, '--hmp', command]);
  }

  /**
   * Runs virsh on this connection's URI, for what the binding lacks. An in-process driver
   * (test:///) is a different instance in another process: refused with that reason.
   */
  private async virsh(what: string, args: ReadonlyArray<string>): Promise<string> {
    if (this.uri.startsWith('test:'))
      throw new LibvirtCallError(`${what} needs a libvirtd; ${this.uri} is an in-process test driver`);
    const { execFile } = await import('node:child_process');
    return new Promise<string>((resolve, reject) => {
      execFile('virsh', ['-c', this.uri, ...args], { timeout: 30_000 }, (err, stdout, stderr) =>
        err === null
          ? resolve(String(stdout))
          : reject(new LibvirtCallError(`${what}: ${String(stderr).trim() || err.message}`)),
      );
    });
  }

  private async strictlyOnDomain(
    what: string,
    name: string,
    fn: (h: Hypervisor, d: Domain) => Promise<void>,
  ): Promise<void> {
    await this.call(what, async (h) => {
      try {
        await fn(h, await h.domainLookupByName(name));
      } catch (e) {
        throw new LibvirtCallError(`${what} ${name}: ${messageOf(e)}`);
      }
    });
  }

  async undefine(name: string): Promise<void> {
    this.metaCache.delete(name);
    await this.onDomain('undefining a domain', name, (h, d) => h.domainUndefine(d));
  }

  private async onDomain(what: string, name: string, fn: (h: Hypervisor, d: Domain) => Promise<void>): Promise<void> {
    await this.call(what, async (h) => {
      try {
        await fn(h, await h.domainLookupByName(name));
      } catch (e) {
        if (isNotFound(e) || /domain is not running|not running/i.test(messageOf(e))) return;
        throw new LibvirtCallError(`${what} ${name}: ${messageOf(e)}`);
      }
    });
  }

  async close(): Promise<void> {
    const h = this.hypervisor;
    this.hypervisor = undefined;
    if (h !== undefined) await h.connectClose().catch(() => undefined);
  }
}
