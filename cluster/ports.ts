// Free loopback ports chosen by the kernel (bind port 0), as controller-runtime's
// pkg/internal/testing/addr/manager.go does. All sockets stay open until every port is chosen, so
// one call never hands out the same port twice.
import { createServer, type Server } from 'node:net';

function listenOnAnyPort(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Returns `count` distinct free TCP ports on 127.0.0.1. A port can be taken again by someone else later. */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listenOnAnyPort());
    return servers.map((s) => {
      const address = s.address();
      if (address === null || typeof address === 'string') throw new Error('A TCP server has no port');
      return address.port;
    });
  } finally {
    await Promise.all(servers.map(close));
  }
}
