// Serves the player page from a given origin, so that the browser sends that Origin and CORS is
// exercised for real.
//
//   node serve.mjs [origin]        default http://localhost:8080
//
// The server listens on 127.0.0.1 at the origin's port (80/443 when it has none). For a host other
// than localhost, start the browser with --host-resolver-rules="MAP <host> 127.0.0.1". An https
// origin gets a throwaway self-signed certificate (made with openssl), so the browser needs
// --ignore-certificate-errors.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

const files = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/index.html': ['index.html', 'text/html; charset=utf-8'],
  '/player.js': ['player.js', 'text/javascript; charset=utf-8'],
  '/vendor/hls.min.js': ['node_modules/hls.js/dist/hls.min.js', 'text/javascript; charset=utf-8'],
  '/vendor/dash.all.min.js': [
    'node_modules/dashjs/dist/modern/umd/dash.all.min.js',
    'text/javascript; charset=utf-8',
  ],
};

function handler(req, res) {
  const { pathname } = new URL(req.url, 'http://x');
  if (pathname === '/favicon.ico') {
    res.writeHead(204);
    res.end();
    return;
  }
  const file = files[pathname];
  if (!file || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
    return;
  }
  fs.readFile(path.join(here, file[0]), (err, body) => {
    if (err) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`${file[0]}: ${err.message} (run npm ci in examples/player)\n`);
      return;
    }
    res.writeHead(200, { 'content-type': file[1], 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
}

function selfSigned(host) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vod-player-tls-'));
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
    '-subj', `/CN=${host}`, '-addext', `subjectAltName=DNS:${host}`,
    '-keyout', key, '-out', cert,
  ], { stdio: 'ignore' });
  const tls = { key: fs.readFileSync(key), cert: fs.readFileSync(cert) };
  fs.rmSync(dir, { recursive: true, force: true });
  return tls;
}

/** Starts serving the player at `origin`; resolves to `{ origin, close }`. */
export async function servePlayer(origin) {
  const u = new URL(origin);
  const secure = u.protocol === 'https:';
  const port = Number(u.port || (secure ? 443 : 80));
  const server = secure ? https.createServer(selfSigned(u.hostname), handler) : http.createServer(handler);
  await new Promise((resolve, reject) => {
    server.once('error', (e) =>
      reject(new Error(`cannot serve the player at ${origin} (127.0.0.1:${port}): ${e.message}`)),
    );
    server.listen(port, '127.0.0.1', resolve);
  });
  return { origin: u.origin, close: () => new Promise((r) => server.close(r)) };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const origin = process.argv[2] || 'http://localhost:8080';
  const s = await servePlayer(origin);
  console.log(`player: ${s.origin}/?src=<playback URL>  (Ctrl-C stops)`);
}
