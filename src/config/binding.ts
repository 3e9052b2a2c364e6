import { BindInWhenOnFluentSyntax, Container, ContainerModuleLoadOptions } from 'inversify';

declare const resolvesTo: unique symbol;

/**
 * A service identifier that carries the type it resolves to. Inversify's own `ServiceIdentifier<T>`
 * accepts any symbol for any `T`, so a binding of the wrong type would compile. At run time this is
 * a plain `Symbol`; it is typed as an abstract constructor of `T` only so that inversify's `bind`
 * and `get` infer `T` from it (`container.get(CLOCK)` is a `Clock`, `bind(CLOCK).toConstantValue(x)`
 * needs a `Clock`), and the phantom member keeps two identifiers of different types apart.
 */
export type ServiceIdentifier<T> = symbol & (abstract new (...args: never) => T) & { readonly [resolvesTo]?: (value: T) => T };

/** A new identifier for values of type `T`; `name` shows in inversify's error messages. */
export function identifier<T>(name: string): ServiceIdentifier<T> {
  return Symbol(name) as ServiceIdentifier<T>;
}

/** Every value bound to `id` (multi-binding), injected as a list. */
export interface AllOf<T> {
  readonly serviceIdentifier: ServiceIdentifier<T>;
  readonly isMultiple: true;
  /** Set by `anyOf`: no binding at all is an empty list rather than an error. */
  readonly optional?: true;
}

export function allOf<T>(id: ServiceIdentifier<T>): AllOf<T> {
  return { serviceIdentifier: id, isMultiple: true };
}

/** Like `allOf`, for an identifier that modules may leave unbound (an empty list then). */
export function anyOf<T>(id: ServiceIdentifier<T>): AllOf<T> {
  return { serviceIdentifier: id, isMultiple: true, optional: true };
}

/** What a factory may ask for: one bound value, or all values bound to an identifier. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the element types are checked by `Resolved`
export type Dependency = ServiceIdentifier<any> | AllOf<any>;

type Resolved<D> = D extends AllOf<infer T> ? T[] : D extends ServiceIdentifier<infer T> ? T : never;

/** The values a factory receives for a list of dependencies, position by position. */
export type ResolvedAll<D extends readonly Dependency[]> = { -readonly [K in keyof D]: Resolved<D[K]> };

type Bind = ContainerModuleLoadOptions['bind'];

/**
 * Binds `id` to the value `factory` builds from `dependencies`, naming each dependency once: the
 * factory's parameters are the types the identifiers resolve to, in order, so a missing, extra or
 * misplaced dependency does not compile. Core classes stay free of decorators.
 *
 * ```ts
 * bindFactory(bind, EXECUTE_TASK, [TASK_HANDLER_REGISTRY, CLOCK], (registry, clock) => new ExecuteTask(registry, clock));
 * ```
 */
export function bindFactory<T, const D extends readonly Dependency[]>(
  bind: Bind,
  id: ServiceIdentifier<T>,
  dependencies: D,
  factory: (...values: ResolvedAll<D>) => T,
): BindInWhenOnFluentSyntax<T> {
  // The mapped tuple above is what checks the factory; inversify's own parameter type for the
  // injection list cannot express it, hence the one cast.
  return bind(id).toResolvedValue(factory as (...values: unknown[]) => T, dependencies as never);
}

/** A value to bind in place of what the profile binds (an observer's logger, a shared broker). */
export interface Replacement {
  applyTo(container: Container): void;
}

export function replace<T>(id: ServiceIdentifier<T>, value: T): Replacement {
  return {
    applyTo(container) {
      container.rebindSync(id).toConstantValue(value);
    },
  };
}
