import { After } from '@cucumber/cucumber';
import nock from 'nock';
import { ExecutorWorld } from './world';

After(async function (this: ExecutorWorld) {
  await this.stop();
  nock.cleanAll();
});
