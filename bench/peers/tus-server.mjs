// The @tus/server peer of `make bench-peers`: tus 1.0 on /files, stored by @tus/file-store.
// Usage: node tus-server.mjs PORT DIRECTORY (bench/peers.py copies this file next to the
// installed node_modules in bench/.peers/ and starts it on a free loopback port).
import { FileStore } from "@tus/file-store";
import { Server } from "@tus/server";

const [port, directory] = process.argv.slice(2);
const server = new Server({ path: "/files", datastore: new FileStore({ directory }) });
server.listen({ host: "127.0.0.1", port: Number(port) });
process.on("SIGTERM", () => process.exit(0));
