import { Random } from '../../application/ports/random.port';

export class MathRandom implements Random {
  next(): number {
    return Math.random();
  }
}
