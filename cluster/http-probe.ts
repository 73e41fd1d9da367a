// One HTTP(S) GET with a short timeout: health endpoints and the few API reads the cluster's
// start-up waits on. Deliberately not kube/: start-up must not depend on the client under test.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export type Tls = Readonly<{ ca?: string; cert?: string; key?: string; insecure?: boolean }>;
export type HttpResponse = Readonly<{ status: number; body: string }>;

/** GETs `url`; rejects on connection errors and after `timeoutMs`. */
export function httpGet(url: string, tls: Tls = {}, timeoutMs = 2_000): Promise<HttpResponse> {
  const secure = url.startsWith('https:');
  return new Promise((resolve, reject) => {
    const options = secure
      ? {
          ca: tls.ca,
          cert: tls.cert,
          key: tls.key,
          rejectUnauthorized: tls.insecure !== true,
          timeout: timeoutMs,
          agent: false as const,
        }
      : { timeout: timeoutMs, agent: false as const };
    const req = (secure ? httpsRequest : httpRequest)(url, options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
