import { ContainerModule } from 'inversify';
import { TOKENS } from '../../application/ports/tokens';
import { MathRandom } from '../../adapters/system/math-random';
import { SystemClock } from '../../adapters/system/system-clock';

export const systemModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.Clock).toConstantValue(new SystemClock());
  bind(TOKENS.Random).toConstantValue(new MathRandom());
});
