// The Socket.io side of bench/realtime: the scenario as a Socket.io app
// does it — a room per conversation, the Redis adapter between processes,
// an acknowledgement per send. It authenticates nobody and stores nothing.
//
//   node server.js <port> <redis-url>
"use strict";
const { createServer } = require("node:http");
const { Server } = require("socket.io");
const { createAdapter } = require("@socket.io/redis-adapter");
const { createClient } = require("redis");

async function main() {
  const port = Number(process.argv[2]);
  const redisURL = process.argv[3];
  const pub = createClient({ url: redisURL });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  const http = createServer((req, res) => {
    if (req.url === "/healthz") {
      res.end("ok");
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  const io = new Server(http, {
    transports: ["websocket"],
    adapter: createAdapter(pub, sub),
    serveClient: false,
    perMessageDeflate: false,
    httpCompression: false,
  });
  io.on("connection", (socket) => {
    const conv = socket.handshake.auth && socket.handshake.auth.conv;
    if (typeof conv !== "string") {
      socket.disconnect(true);
      return;
    }
    socket.join(conv);
    socket.on("send", (msg, ack) => {
      io.to(conv).emit("message", msg);
      if (typeof ack === "function") ack({ ok: true });
    });
  });
  http.listen(port, "127.0.0.1", () => console.log("listening on " + port));
  const stop = () => io.close(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
