/**
 * A minimal gRPC unary client: HTTP/2 over the agent's unix socket, one length-prefixed message
 * each way, the status from the trailers (or from the headers of a trailers-only answer). It is
 * all the plugin needs of gRPC, and it loads in a fraction of grpc-js's time on every EIP pod's
 * ADD and DEL. The wire format: grpc/doc/PROTOCOL-HTTP2.md. No compression is offered, so the
 * server sends none.
 */
import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { connect as connectSocket } from 'node:net';
import { GrpcCallError, GrpcStatus } from './grpc-status.js';

export interface UnaryMethod<Request, Response> {
  /** `/package.Service/Method` */
  path: string;
  serialize(request: Request): Buffer;
  deserialize(bytes: Buffer): Response;
}

const MESSAGE_PREFIX_BYTES = 5;

/** The status of an answer without `grpc-status`, by its HTTP status (gRPC's http-grpc-status-mapping.md). */
function statusFromHttp(httpStatus: number): GrpcStatus {
  if (httpStatus === 400) return GrpcStatus.INTERNAL;
  if (httpStatus === 401) return GrpcStatus.UNAUTHENTICATED;
  if (httpStatus === 403) return GrpcStatus.PERMISSION_DENIED;
  if (httpStatus === 404) return GrpcStatus.UNIMPLEMENTED;
  if ([429, 502, 503, 504].includes(httpStatus)) return GrpcStatus.UNAVAILABLE;
  return GrpcStatus.UNKNOWN;
}

/** A stream reset without a status, as grpc-js reports it. */
function statusFromReset(rstCode: number): GrpcStatus {
  if (rstCode === constants.NGHTTP2_REFUSED_STREAM) return GrpcStatus.UNAVAILABLE;
  if (rstCode === constants.NGHTTP2_CANCEL) return GrpcStatus.CANCELLED;
  if (rstCode === constants.NGHTTP2_ENHANCE_YOUR_CALM) return GrpcStatus.RESOURCE_EXHAUSTED;
  return GrpcStatus.INTERNAL;
}

function decodeMessage(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw; // not percent-encoded after all: show it as sent
  }
}

/** Custom (non-pseudo, non-`grpc-`) trailers, first value of each. */
function customTrailers(headers: IncomingHttpHeaders): Record<string, string> {
  const trailers: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (key.startsWith(':') || key.startsWith('grpc-') || key === 'content-type' || value === undefined) continue;
    trailers[key] = Array.isArray(value) ? value[0]! : String(value);
  }
  return trailers;
}

function frame(message: Buffer): Buffer {
  const framed = Buffer.allocUnsafe(MESSAGE_PREFIX_BYTES + message.length);
  framed.writeUInt8(0, 0); // not compressed
  framed.writeUInt32BE(message.length, 1);
  message.copy(framed, MESSAGE_PREFIX_BYTES);
  return framed;
}

/** The one message of a unary answer, or an error saying what was wrong with the body. */
function unframe(body: Buffer): Buffer | GrpcCallError {
  if (body.length < MESSAGE_PREFIX_BYTES)
    return new GrpcCallError(GrpcStatus.INTERNAL, 'the agent answered OK without a message');
  if (body.readUInt8(0) !== 0)
    return new GrpcCallError(GrpcStatus.INTERNAL, 'the agent sent a compressed message, which was not offered');
  const length = body.readUInt32BE(1);
  if (body.length !== MESSAGE_PREFIX_BYTES + length) {
    return new GrpcCallError(
      GrpcStatus.INTERNAL,
      `the agent's answer holds ${body.length} bytes, not one message of ${length}`,
    );
  }
  return body.subarray(MESSAGE_PREFIX_BYTES);
}

/** Calls over one HTTP/2 connection, opened on the first call; one deadline for all of them. */
export class GrpcUnaryClient {
  private session: ClientHttp2Session | undefined;

  constructor(
    private readonly socketPath: string,
    private readonly deadline: number,
  ) {}

  call<Request, Response>(
    method: UnaryMethod<Request, Response>,
    request: Request,
    now = Date.now(),
  ): Promise<Response> {
    const remainingMs = Math.floor(this.deadline - now);
    if (remainingMs <= 0)
      return Promise.reject(new GrpcCallError(GrpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded before the call'));
    return new Promise((resolve, reject) => {
      const stream = this.connection().request({
        [constants.HTTP2_HEADER_METHOD]: 'POST',
        [constants.HTTP2_HEADER_PATH]: method.path,
        [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
        te: 'trailers',
        'grpc-timeout': `${remainingMs}m`,
      });
      const chunks: Buffer[] = [];
      let headers: IncomingHttpHeaders = {};
      let trailers: IncomingHttpHeaders | undefined;
      let failure: GrpcCallError | undefined;
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outcome();
      };
      const timer = setTimeout(() => {
        settle(() => reject(new GrpcCallError(GrpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded')));
        stream.close(constants.NGHTTP2_CANCEL);
      }, remainingMs);
      stream.on('response', (received: IncomingHttpHeaders) => {
        headers = received;
      });
      stream.on('trailers', (received: IncomingHttpHeaders) => {
        trailers = received;
      });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (error: Error) => {
        failure ??= new GrpcCallError(
          GrpcStatus.UNAVAILABLE,
          `No connection established. Last error: ${error.message}`,
        );
      });
      stream.on('close', () =>
        settle(() => {
          const ending = trailers ?? headers;
          const grpcStatus = ending['grpc-status'];
          if (grpcStatus === undefined) {
            const httpStatus = Number(headers[constants.HTTP2_HEADER_STATUS] ?? 0);
            if (failure !== undefined) return reject(failure);
            if (httpStatus !== 0 && httpStatus !== 200)
              return reject(new GrpcCallError(statusFromHttp(httpStatus), `the agent answered HTTP ${httpStatus}`));
            const rstCode = (stream.rstCode as number | undefined) ?? 0; // unset until the stream is reset
            return reject(
              new GrpcCallError(
                statusFromReset(rstCode),
                `the agent closed the call without a status (HTTP/2 code ${rstCode})`,
              ),
            );
          }
          const code = Number(grpcStatus) as GrpcStatus;
          if (code !== GrpcStatus.OK) {
            return reject(
              new GrpcCallError(code, decodeMessage(String(ending['grpc-message'] ?? '')), customTrailers(ending)),
            );
          }
          const message = unframe(Buffer.concat(chunks));
          if (message instanceof GrpcCallError) return reject(message);
          try {
            resolve(method.deserialize(message));
          } catch (error) {
            reject(
              new GrpcCallError(GrpcStatus.INTERNAL, `the agent's answer does not decode: ${(error as Error).message}`),
            );
          }
        }),
      );
      stream.end(frame(method.serialize(request)));
    });
  }

  close(): void {
    this.session?.close();
  }

  private connection(): ClientHttp2Session {
    if (this.session === undefined) {
      this.session = connect('http://localhost', { createConnection: () => connectSocket(this.socketPath) });
      // A failed connection also fails each stream on it, which is where the call reports it.
      this.session.on('error', () => {});
    }
    return this.session;
  }
}
