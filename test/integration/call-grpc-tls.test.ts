/**
 * `call: grpc` over TLS against a real @grpc/grpc-js server on 127.0.0.1 whose certificate is
 * signed by a throwaway certificate authority made here with `openssl` (valid for a day, deleted
 * after): trusted through GRPC_CA_FILE, refused without it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { trustedRoots } from '../../src/adapters/grpc/grpc-js-client';
import { WorkflowError } from '../../src/domain/workflow-error';
import { CompletedPayload } from '../../src/domain/flunq-events';
import { Executor } from './support/call-harness';
import { GreeterServer, PROTO_DIR } from './support/grpc-server';

/** A CA and a server certificate for localhost and 127.0.0.1 signed by it, in `dir`. */
function makeCertificates(dir: string): { ca: string; key: Buffer; certChain: Buffer } {
  const file = (name: string): string => path.join(dir, name);
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '1', '-subj', '/CN=flunq test CA (throwaway)', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  openssl('req', ...ec, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=localhost');
  writeFileSync(file('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n');
  openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file('server.pem'), '-days', '1', '-extfile', file('server.ext'));
  return { ca: file('ca.pem'), key: readFileSync(file('server.key')), certChain: readFileSync(file('server.pem')) };
}

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

function code(c: CompletedPayload): unknown {
  return (c.error_details?.['data'] as Record<string, unknown> | undefined)?.['code'];
}

describe('call: grpc over TLS with a certificate authority of its own', { skip: hasOpenssl() ? false : 'openssl is not installed', timeout: 60_000 }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'flunq-grpc-tls-'));
  const greeter = new GreeterServer();
  let trusting: Executor;
  const plain = new Executor({ GRPC_PROTO_DIR: PROTO_DIR, CONSOLE_TRACES: 'false' });
  const call = (host: string, tls: boolean): Record<string, unknown> => ({
    call: 'grpc',
    with: { proto: { endpoint: 'greeter.proto' }, service: { name: 'flunq.test.Greeter', host, port: greeter.port, tls }, method: 'SayHello', arguments: { person: { name: 'Tess' } } },
  });

  before(async () => {
    const { ca, key, certChain } = makeCertificates(dir);
    await greeter.start({ key, certChain });
    trusting = new Executor({ GRPC_PROTO_DIR: PROTO_DIR, GRPC_CA_FILE: ca, CONSOLE_TRACES: 'false' });
    await trusting.start();
    await plain.start();
  });
  after(async () => {
    await trusting.stop();
    await plain.stop();
    await greeter.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('calls the service with TLS by name and by address when GRPC_CA_FILE trusts its certificate authority', async () => {
    for (const host of ['localhost', '127.0.0.1']) {
      const c = await trusting.run(`tls-${host}`, call(host, true));
      assert.equal(c.success, true, c.error);
      assert.equal((c.output as Record<string, unknown>)['message'] !== undefined, true, JSON.stringify(c.output));
    }
    assert.equal(greeter.seen.length, 2, 'both calls reached the server');
  });

  it('refuses the certificate without GRPC_CA_FILE (the system roots do not know the authority): UNAVAILABLE, nothing reaches the server', async () => {
    const seen = greeter.seen.length;
    const c = await plain.run('untrusted', call('localhost', true));
    assert.equal(c.success, false);
    assert.equal(code(c), 'GRPC_STATUS');
    assert.equal((c.output as Record<string, unknown>)['status'], 'UNAVAILABLE');
    assert.match(c.error ?? '', /certificate/i);
    assert.equal(greeter.seen.length, seen);
  });

  it('fails a plain-text call to the TLS port', async () => {
    const c = await trusting.run('plain-to-tls', call('localhost', false));
    assert.equal(c.success, false);
    assert.equal((c.output as Record<string, unknown>)['status'], 'UNAVAILABLE');
  });

  it('refuses a GRPC_CA_FILE that cannot be read or holds no certificate, naming the file', () => {
    const missing = path.join(dir, 'missing.pem');
    assert.throws(() => trustedRoots(missing), (e: unknown) => e instanceof WorkflowError && e.detail?.startsWith(`GRPC_CA_FILE ${missing} cannot be read: ENOENT`) === true);
    const notPem = path.join(dir, 'server.ext');
    assert.throws(() => trustedRoots(notPem), (e: unknown) => e instanceof WorkflowError && e.detail === `GRPC_CA_FILE ${notPem} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  });
});
