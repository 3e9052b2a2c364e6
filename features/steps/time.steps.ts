import { When } from '@cucumber/cucumber';
import { ExecutorWorld } from '../support/world';

When('the clock advances by {duration}', async function (this: ExecutorWorld, ms: number) {
  await this.start();
  await this.clock.advance(ms);
});
