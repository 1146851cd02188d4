/**
 * A throw-away certificate authority for TLS tests, made with the `openssl` CLI (EC P-256 keys,
 * a day of validity): a server certificate for 127.0.0.1 / localhost and a client certificate,
 * both signed by it, plus a second, unrelated CA (what a client trusting the wrong CA holds).
 * Everything is written to a temp dir that `remove()` deletes. No jest APIs here.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ThrowawayTls {
  readonly dir: string;
  readonly caFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  /** Another CA that signed none of the above. */
  readonly otherCaFile: string;
  remove(): void;
}

export function makeThrowawayTls(): ThrowawayTls {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'canary-judge-tls-'));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const key = (name: string) => openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', file(name));
  const ca = (name: string, subject: string) => {
    key(`${name}.key`);
    openssl('req', '-x509', '-new', '-key', file(`${name}.key`), '-subj', subject, '-days', '1', '-out', file(`${name}.crt`), '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  };
  const signed = (name: string, subject: string, extensions: string) => {
    key(`${name}.key`);
    openssl('req', '-new', '-key', file(`${name}.key`), '-subj', subject, '-out', file(`${name}.csr`));
    fs.writeFileSync(file(`${name}.ext`), extensions);
    openssl('x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', file(`${name}.ext`), '-out', file(`${name}.crt`));
  };
  try {
    ca('ca', '/CN=canary-judge test CA');
    ca('other-ca', '/CN=some other CA');
    signed('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    signed('client', '/CN=canary-judge', 'extendedKeyUsage=clientAuth\n');
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`openssl could not make the test certificates: ${(error as { stderr?: Buffer }).stderr?.toString() ?? (error as Error).message}`);
  }
  return {
    dir,
    caFile: file('ca.crt'),
    serverCertFile: file('server.crt'),
    serverKeyFile: file('server.key'),
    clientCertFile: file('client.crt'),
    clientKeyFile: file('client.key'),
    otherCaFile: file('other-ca.crt'),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
