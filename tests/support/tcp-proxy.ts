// A TCP pass-through on a fixed local port that a test can cut (every connection dropped on both sides and
// the port closed, so a new connection is refused at once) and restore on the same port. Put between a
// service and PostgreSQL, it is a database outage that never touches the real server.
import net from "node:net";

export interface CuttableProxy {
  /** Start (or restart, after `cut`) listening; the first call picks the port, later calls reuse it. */
  listen(): Promise<void>;
  readonly port: number;
  /** Stop accepting and drop every open connection, both sides. */
  cut(): Promise<void>;
}

export function cuttableProxy(target: { host: string; port: number }): CuttableProxy {
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  let port = 0;
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => s.destroy());
  };
  return {
    listen: () =>
      new Promise<void>((resolve, reject) => {
        const s = net.createServer((client) => {
          const upstream = net.connect(target.port, target.host);
          track(client);
          track(upstream);
          client.pipe(upstream);
          upstream.pipe(client);
          client.on("close", () => upstream.destroy());
          upstream.on("close", () => client.destroy());
        });
        s.once("error", reject);
        s.listen(port, "127.0.0.1", () => {
          port = (s.address() as net.AddressInfo).port;
          server = s;
          resolve();
        });
      }),
    get port() {
      return port;
    },
    async cut() {
      const s = server;
      server = null;
      const closed = s ? new Promise<void>((resolve) => s.close(() => resolve())) : Promise.resolve();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/** `url` (a postgres:// URL) with its host and port replaced by the proxy's. */
export function viaProxy(url: string, proxy: CuttableProxy): string {
  const u = new URL(url);
  u.hostname = "127.0.0.1";
  u.port = String(proxy.port);
  return u.toString();
}
