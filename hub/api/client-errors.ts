// Requests that never reach a route still get the API's error body with a registered code: a malformed request
// (node's HTTP parser refused it), headers over the limit, a client too slow to send its request, a URL that is not
// valid percent-encoded UTF-8, a path parameter over the router's length limit. Fastify's defaults answer these
// without a code (or with its own FST_ codes), which clients cannot tell apart from the hub's own answers.
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest, FastifyInstance } from 'fastify';
import { HubErrorCodes, type HubErrorCode } from '../sdk/errors.ts';

function body(code: HubErrorCode, message: string): string {
  return JSON.stringify({ code, message, details: {}, retryable: HubErrorCodes[code].retryable });
}

/** fastify `clientErrorHandler`: the request could not be parsed, so the answer is written to the socket as is. */
export function answerClientError(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has no one to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [code, message]: [HubErrorCode, string] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? ['HTTP_TIMEOUT', 'the request was not received in time']
      : err.code === 'HPE_HEADER_OVERFLOW' ? ['HTTP_HEADERS_TOO_LARGE', 'the request headers are larger than the server accepts']
        : ['HTTP_MALFORMED', `the HTTP request could not be parsed (${err.code ?? 'parse error'})`];
  const status = HubErrorCodes[code].status;
  const text = body(code, message);
  this.log.debug({ err, code }, 'client error');
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${statusText(status)}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
  }
  socket.destroy();
}

const statusText = (s: number) => ({ 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' } as Record<number, string>)[s] ?? 'Error';

/** fastify `frameworkErrors`: errors fastify raises before routing (bad URL encoding, over-long path parameter). */
export function answerFrameworkError(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const code: HubErrorCode = err.code === 'FST_ERR_BAD_URL' || err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'HTTP_MALFORMED' : 'INTERNAL';
  const message = err.code === 'FST_ERR_BAD_URL' ? 'the URL is not valid percent-encoded UTF-8'
    : err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path segment is longer than 100 characters'
      : 'internal error; see the hub log';
  reply.code(HubErrorCodes[code].status).type('application/json').send(body(code, message));
}
