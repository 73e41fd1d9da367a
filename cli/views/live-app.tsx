/**
 * The interactive live status view: a table of VMs kept current by a watch, a selection moved
 * with the arrow keys, and start/stop/restart of the selected VM (each one API write, as the
 * commands do). Data comes from useLiveState, a hook fed by kube/; the table stays dumb.
 */
import { Box, useApp, useInput } from 'ink';
import { useEffect, useState, type ReactElement } from 'react';
import { VM_PLURAL } from '../../api/names.js';
import type { VirtualMachine } from '../../api/types.js';
import type { LeanClient } from '../../kube/lean-client.js';
import type { ListOptions } from '../../kube/lean-resources.js';
import { vmHeaders, vmRow, type RowOptions } from '../printers/vm-rows.js';
import { applyEvent, EMPTY_STATE, type LiveState } from '../live/state.js';
import { listForLive, watchForLive } from '../live/follow.js';
import type { Verb } from '../lifecycle.js';
import { StatusLine, VmTable } from './vm-table.js';
import { byteOrder } from '../printers/table.js';

export interface LiveAppProps {
  readonly client: LeanClient;
  readonly list: ListOptions;
  readonly act: (verb: Verb, namespace: string, name: string) => Promise<string>;
}

/** Lists, then follows changes until unmounted; relists when a watch ends. */
export function useLiveState(client: LeanClient, list: ListOptions): { state: LiveState; error: string } {
  const [state, setState] = useState<LiveState>(EMPTY_STATE);
  const [error, setError] = useState('');
  useEffect(() => {
    const stop = new AbortController();
    const loop = async (): Promise<void> => {
      while (!stop.signal.aborted) {
        const src = await listForLive(client, VM_PLURAL, list);
        setState(src.state);
        await watchForLive(client, { resource: VM_PLURAL, list, src, signal: stop.signal }, (e) =>
          setState((s) => applyEvent(s, e)),
        );
      }
    };
    // Failures end the loop and show on the status line; the user can quit and retry.
    loop().catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)));
    return () => stop.abort();
  }, [client, list]);
  return { state, error };
}

const KEYS: Readonly<Record<string, Verb>> = { s: 'start', x: 'stop', r: 'restart' };

export function LiveApp({ client, list, act }: LiveAppProps): ReactElement {
  const { exit } = useApp();
  const { state, error } = useLiveState(client, list);
  const [selected, setSelected] = useState(0);
  const [message, setMessage] = useState('');
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    // AGE moves on even when nothing changes.
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const vms = [...state.vms.entries()].sort(([a], [b]) => byteOrder(a, b));
  const opts: RowOptions = { wide: false, allNamespaces: list.allNamespaces === true, now };
  const runVerb = (verb: Verb, vm: VirtualMachine): void => {
    const name = vm.metadata.name ?? '';
    setMessage(`${verb}: ${name}…`);
    act(verb, vm.metadata.namespace ?? list.namespace, name).then(setMessage, (err: unknown) =>
      setMessage(err instanceof Error ? err.message : String(err)),
    );
  };
  useInput((input, key) => {
    if (input === 'q' || key.escape) exit();
    if (key.upArrow) setSelected((i) => Math.max(0, i - 1));
    if (key.downArrow) setSelected((i) => Math.min(vms.length - 1, i + 1));
    const verb = KEYS[input];
    const vm = vms[selected]?.[1];
    if (verb !== undefined && vm !== undefined) runVerb(verb, vm);
  });
  return (
    <Box flexDirection="column">
      <VmTable
        headers={vmHeaders(opts)}
        rows={vms.map(([key, vm]) => vmRow(vm, state.vmis.get(key), opts))}
        statusColumn={opts.allNamespaces ? 3 : 2}
        selected={selected}
      />
      <StatusLine count={vms.length} message={error === '' ? message : `error: ${error}`} />
    </Box>
  );
}
