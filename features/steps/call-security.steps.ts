import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { After, Given } from '@cucumber/cucumber';
import { ExecutorWorld } from '../support/world';

/** The operator's CALL_CREDENTIALS_FILE, written for the scenario and removed after it. */
Given('the operator\'s credentials file:', function (this: ExecutorWorld, yaml: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flunq-credentials-'));
  this.bag.set('credentials.dir', dir);
  const file = path.join(dir, 'credentials.yaml');
  fs.writeFileSync(file, yaml);
  this.env['CALL_CREDENTIALS_FILE'] = file;
});

After(function (this: ExecutorWorld) {
  const dir = this.bag.get('credentials.dir') as string | undefined;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});
