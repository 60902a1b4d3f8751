import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the Linear stand-in received. */
export interface LinearRequest {
  headers: http.IncomingHttpHeaders;
  body: { query: string; variables: Record<string, unknown> };
}

/**
 * A local HTTP stand-in for Linear's GraphQL API: records every request and answers each with
 * the status and JSON document last given to `answer`. Point FLEET_LINEAR_URL at `url`.
 */
export interface LinearStandIn {
  url: string;
  port: number;
  requests: LinearRequest[];
  answer(status: number, doc: unknown): void;
  /** Stop it (again is fine). */
  close(): Promise<void>;
}

export async function linearStandIn(status: number, doc: unknown): Promise<LinearStandIn> {
  let reply = { status, doc };
  const requests: LinearRequest[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      requests.push({ headers: req.headers, body: JSON.parse(body) });
      res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(reply.doc));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  let closed = false;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    port,
    requests,
    answer: (s, d) => {
      reply = { status: s, doc: d };
    },
    close: async () => {
      if (closed) return;
      closed = true;
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
