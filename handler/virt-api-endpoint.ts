/**
 * Wires the handler's endpoint for virt-api (endpoint-server.ts) to this handler's libvirt
 * connection and VMI cache, and tells virt-api where it is: the Node gets
 * {@link HANDLER_ENDPOINT_ANNOTATION} = `host:port`. virt-api trusts that address no further than
 * the TLS handshake: the handler must show a cluster-CA certificate for HANDLER_TLS_SERVER_NAME.
 */
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { COMPONENTS, CONDITION_TYPES } from '../api/names.js';
import { HANDLER_ENDPOINT_ANNOTATION } from '../api/subresources.js';
import type { VirtualMachineInstance } from '../api/types.js';
import type { nodes } from '../kube/core.js';
import type { Informer } from '../kube/informer.js';
import { serialSocketPath, type HostFacts } from './domain/host-facts.js';
import { domainName } from '../api/object-names.js';
import { startEndpoint } from './endpoint-server.js';
import { netdevId } from './domain/vmi-to-domain.js';
import { connectGuestPort, GuestPortError } from './port-forward.js';
import type { LibvirtConnection } from './libvirt/connection.js';
import { SerialConsoles } from './serial-console.js';

export type EndpointFlags = Readonly<{
  port: number;
  listenAddress: string;
  advertiseAddress: string;
  certFile: string;
  keyFile: string;
  clientCaFile: string;
}>;

export type RunningEndpoint = Readonly<{ server: Server; consoles: SerialConsoles; address: string }>;

const agentConnected = (vmi: VirtualMachineInstance): boolean =>
  vmi.status?.conditions?.some((c) => c.type === CONDITION_TYPES.agentConnected && c.status === 'True') === true;

/**
 * Through the agent when it answers (the guest reboots cleanly without ACPI support), ACPI when it
 * does not or when the agent's own shutdown fails (Debian's qemu-ga runs `shutdown -r +0`, which
 * needs logind; a guest without D-Bus refuses it).
 */
async function softReboot(
  ctx: Readonly<{ libvirt: LibvirtConnection; log: Logger }>,
  vmi: VirtualMachineInstance,
): Promise<void> {
  if (agentConnected(vmi)) {
    try {
      return await ctx.libvirt.reboot(nameOf(vmi), 'agent');
    } catch (err) {
      ctx.log.warn(
        { err, namespace: vmi.metadata.namespace, name: vmi.metadata.name },
        'The guest agent could not reboot the guest; rebooting through ACPI',
      );
    }
  }
  await ctx.libvirt.reboot(nameOf(vmi), 'acpi');
}

const nameOf = (vmi: VirtualMachineInstance): string =>
  domainName(vmi.metadata.namespace ?? '', vmi.metadata.name ?? '');

/** Serves the endpoint and annotates the Node with its address. Throws when a TLS file cannot be read. */
export async function serveVirtApiEndpoint(
  flags: EndpointFlags,
  ctx: Readonly<{
    nodeName: string;
    host: HostFacts;
    libvirt: LibvirtConnection;
    vmis: Informer<VirtualMachineInstance>;
    nodeClient: ReturnType<typeof nodes>;
    log: Logger;
  }>,
): Promise<RunningEndpoint> {
  const [cert, key, clientCa] = await Promise.all([
    readFile(flags.certFile),
    readFile(flags.keyFile),
    readFile(flags.clientCaFile),
  ]);
  const consoles = new SerialConsoles(ctx.log);
  const server = await startEndpoint({ cert, key, clientCa }, flags.listenAddress, flags.port, {
    nodeName: ctx.nodeName,
    findVmi: (ns, name) => ctx.vmis.get(ns, name),
    observe: (vmi) => ctx.libvirt.observe(nameOf(vmi), vmi.metadata.uid ?? ''),
    act: async (action, vmi) => {
      if (action === 'pause') await ctx.libvirt.suspend(nameOf(vmi));
      else if (action === 'unpause') await ctx.libvirt.resume(nameOf(vmi));
      else await softReboot(ctx, vmi);
    },
    connectGuest: (vmi, target) => {
      if ((vmi.spec.domain.devices.interfaces ?? []).length === 0)
        return Promise.reject(new GuestPortError('the VMI has no network interface to forward to'));
      return connectGuestPort(ctx.libvirt, nameOf(vmi), netdevId(0), target);
    },
    serialSocket: (vmi) => serialSocketPath(ctx.host, vmi.metadata.namespace ?? '', vmi.metadata.name ?? ''),
    consoles,
    log: ctx.log,
  });
  const address = `${flags.advertiseAddress}:${(server.address() as AddressInfo).port}`;
  await ctx.nodeClient.patch(
    { name: ctx.nodeName },
    { type: 'merge', patch: { metadata: { annotations: { [HANDLER_ENDPOINT_ANNOTATION]: address } } } },
    { fieldManager: COMPONENTS.handler },
  );
  return { server, consoles, address };
}
