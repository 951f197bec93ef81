// A stand-in for the API server's pod port-forward, on loopback: the WebSocket endpoint client-node's
// PortForward speaks to (channel protocol v4: the port number first on the data and error channels, then
// data on channel 0 both ways), carrying each stream to a TCP `backend` on this host as a pod's port would
// be. The WebSocket framing is written out here (RFC 6455, the little a server needs) rather than taken
// from a package the project does not depend on itself.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

export interface FakePortForwardApi {
  /** Its address, for a kube config. */
  server: string;
  /** Port-forward streams opened so far, and how many are still open. */
  opened(): number;
  open(): number;
  close(): Promise<void>;
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** One unmasked server frame (binary, or close). */
function frame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x80 | opcode, n]) : Buffer.from([0x80 | opcode, 126, n >> 8, n & 0xff]);
  if (n > 0xffff) throw new Error('frame too large for this fake');
  return Buffer.concat([head, payload]);
}

/** Client frames (always masked) out of a byte stream; calls `on` for each whole one. */
function frameReader(on: (opcode: number, payload: Buffer) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      if (buf.length < 2) return;
      let len = buf[1]! & 0x7f;
      let at = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (buf.length < 10) return;
        len = Number(buf.readBigUInt64BE(2));
        at = 10;
      }
      if (buf.length < at + 4 + len) return;
      const mask = buf.subarray(at, at + 4);
      const payload = Buffer.from(buf.subarray(at + 4, at + 4 + len));
      for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
      on(buf[0]! & 0x0f, payload);
      buf = buf.subarray(at + 4 + len);
    }
  };
}

/**
 * `podPortError`: the pod's port cannot be reached, as when nothing listens on it there: the API server says
 * so on the error channel and leaves the data channel open, sending nothing.
 */
export async function fakePortForwardApi(backend: { port: number }, o: { handshakeDelayMs?: number; podPortError?: string } = {}): Promise<FakePortForwardApi> {
  let opened = 0;
  let open = 0;
  const sockets = new Set<Socket>();
  const http: Server = createServer((_req, res) => res.writeHead(404).end());
  http.on('upgrade', (req, socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    // An upgraded socket of node's HTTP server is half-open by default: a client gone without a close frame
    // (terminated, or its process ended) only sends FIN, which ends the stream as the API server would.
    socket.on('end', () => socket.destroy());
    const m = /^\/api\/v1\/namespaces\/[^/]+\/pods\/[^/]+\/portforward\?ports=(\d+)$/.exec(req.url ?? '');
    const protocols = String(req.headers['sec-websocket-protocol'] ?? '').split(/,\s*/);
    if (!m || !protocols.includes('v4.channel.k8s.io')) return void socket.destroy();
    setTimeout(() => {
      if (socket.destroyed) return;
      const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}${GUID}`).digest('base64');
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n`);
      opened++;
      open++;
      socket.once('close', () => open--);
      const port = Number(m[1]);
      socket.write(frame(2, Buffer.from([0, port & 0xff, port >> 8])));
      socket.write(frame(2, Buffer.from([1, port & 0xff, port >> 8])));
      if (o.podPortError) return void socket.write(frame(2, Buffer.concat([Buffer.from([1]), Buffer.from(o.podPortError)])));
      const pod = connect(backend.port, '127.0.0.1');
      pod.on('data', (d: Buffer) => socket.write(frame(2, Buffer.concat([Buffer.from([0]), d]))));
      pod.on('close', () => socket.end(frame(8, Buffer.alloc(0))));
      pod.on('error', () => socket.destroy());
      socket.on('close', () => pod.destroy());
      socket.on(
        'data',
        frameReader((opcode, payload) => {
          if (opcode === 2 && payload[0] === 0 && payload.length > 1) pod.write(payload.subarray(1));
          if (opcode === 8) socket.end(frame(8, Buffer.alloc(0)));
        }),
      );
    }, o.handshakeDelayMs ?? 0);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    server: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    opened: () => opened,
    open: () => open,
    close: async () => {
      for (const s of sockets) s.destroy();
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    },
  };
}
