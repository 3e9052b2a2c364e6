import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Container, ContainerModule } from 'inversify';
import { allOf, bindFactory, identifier, replace } from '../../../src/config/binding';
import { buildContainer } from '../../../src/config/container';

interface Clock {
  now(): number;
}
interface Greeter {
  greet(name: string): string;
}
class Greeting {
  constructor(
    readonly clock: Clock,
    readonly greeters: Greeter[],
  ) {}
}

const CLOCK = identifier<Clock>('Clock');
const GREETER = identifier<Greeter>('Greeter');
const GREETING = identifier<Greeting>('Greeting');

describe('typed bindings', () => {
  it('resolves a factory with its dependencies in order, lists for allOf, and values of the identifier\'s type', async () => {
    const container = await buildContainer([
      new ContainerModule(({ bind }) => {
        bind(CLOCK).toConstantValue({ now: () => 42 });
        bindFactory(bind, GREETER, [], () => ({ greet: (name: string) => `hello ${name}` }));
        bindFactory(bind, GREETER, [CLOCK], (clock) => ({ greet: (name: string) => `${name} at ${clock.now()}` }));
        bindFactory(bind, GREETING, [CLOCK, allOf(GREETER)], (clock, greeters) => new Greeting(clock, greeters));
      }),
    ]);
    const greeting = container.get(GREETING);
    assert.equal(greeting.clock.now(), 42);
    assert.deepEqual(
      greeting.greeters.map((g) => g.greet('ada')),
      ['hello ada', 'ada at 42'],
    );
    assert.equal(container.get(GREETING), greeting, 'singletons');
  });

  it('binds a replacement in place of what a module bound', async () => {
    const container = await buildContainer([new ContainerModule(({ bind }) => void bind(CLOCK).toConstantValue({ now: () => 1 }))], [replace(CLOCK, { now: () => 2 })]);
    assert.equal(container.get(CLOCK).now(), 2);
  });

  it('does not compile a binding whose dependencies and factory disagree', () => {
    // The type check of the test sources proves it: each marked line in `mistakes` must stay a compile error.
    assert.equal(typeof mistakes, 'function');
  });
});

/** Never called: wrong bindings, each of which must fail to compile. */
function mistakes(container: Container): void {
  new ContainerModule(({ bind }) => {
    // @ts-expect-error the dependencies are in the wrong order
    bindFactory(bind, GREETING, [allOf(GREETER), CLOCK], (clock, greeters) => new Greeting(clock, greeters));
    // @ts-expect-error a dependency is missing
    bindFactory(bind, GREETING, [CLOCK], (clock, greeters) => new Greeting(clock, greeters));
    // @ts-expect-error one greeter where the factory needs all of them
    bindFactory(bind, GREETING, [CLOCK, GREETER], (clock, greeters) => new Greeting(clock, greeters));
    // @ts-expect-error the factory builds something else than the identifier promises
    bindFactory(bind, GREETING, [CLOCK], (clock) => clock);
    // @ts-expect-error a value of the wrong type
    bind(CLOCK).toConstantValue({ greet: () => '' });
  });
  // @ts-expect-error identifiers of different types are not interchangeable
  const clock: typeof CLOCK = GREETER;
  // @ts-expect-error `get` returns the identifier's type
  const greeter: Greeter = container.get(CLOCK);
  void [clock, greeter];
}
