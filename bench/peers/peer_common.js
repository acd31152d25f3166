// What the Node and Bun peers share: command-line options, and listening with
// uWebSockets.js until SIGINT/SIGTERM.
"use strict";

function flagName(key) {
  return "--" + key.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
}

// --host, --port, and the peer's own extras, typed by their defaults: a number default
// takes a positive number (e.g. { maxBackpressure: 1 << 20 } accepts --max-backpressure N),
// a string default any text ({ redis: "" } accepts --redis URL). `--shards N` is accepted
// and ignored, for command-line parity with roomcastd.
function parsePeerArgs(argv, extras = {}, usage = "") {
  const opts = { port: 3000, host: "127.0.0.1", ...extras };
  const named = new Map(Object.keys(extras).map((k) => [flagName(k), k]));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf("=");
    const key = eq >= 0 ? a.slice(0, eq) : a;
    const val = () => (eq >= 0 ? a.slice(eq + 1) : argv[++i]);
    if (key === "--port" || key === "-p") opts.port = Number(val());
    else if (key === "--host") opts.host = val();
    else if (key === "--shards") val();
    else if (named.has(key)) {
      const k = named.get(key);
      opts[k] = typeof extras[k] === "number" ? Number(val()) : String(val());
    }
    else if (key === "--help" || key === "-h") {
      console.log(usage || "usage: [--port N] [--host ADDR]" + [...named.keys()].map((k) => ` [${k} VALUE]`).join(""));
      process.exit(0);
    } else {
      console.error(`unknown argument: ${a}`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
    console.error("bad --port");
    process.exit(2);
  }
  for (const k of Object.keys(extras)) {
    if (typeof extras[k] === "number" && (!Number.isFinite(opts[k]) || opts[k] <= 0)) {
      console.error(`bad ${flagName(k)}`);
      process.exit(2);
    }
  }
  return opts;
}

// Listens on opts.host:opts.port (exit 1 if that fails); on SIGINT/SIGTERM stops
// listening, runs onStop (if any) and exits 0 shortly after.
function uwsListen(uws, app, opts, name, onStop = () => {}) {
  let listenSocket = null;
  app.listen(opts.host, opts.port, (token) => {
    if (!token) {
      console.error(`${name}: cannot listen on ${opts.host}:${opts.port}`);
      process.exit(1);
    }
    listenSocket = token;
    console.log(`${name} listening on ${opts.host}:${uws.us_socket_local_port(token)}`);
  });
  const stop = () => {
    if (listenSocket) uws.us_listen_socket_close(listenSocket);
    listenSocket = null;
    onStop();
    setTimeout(() => process.exit(0), 500).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

module.exports = { parsePeerArgs, uwsListen };
