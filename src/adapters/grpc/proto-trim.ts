import { Enum, Field, Method, Namespace, ReflectionObject, Root, Service, Type } from 'protobufjs';

/**
 * What one call of a compiled document needs: `json`, the document trimmed to the method (see
 * trimmedToMethod); `services`, when the document has no such service, the services it has;
 * `methods`, when the service has no such method, the methods it has.
 */
export type MethodOfDocument = { json: unknown } | { services: string[] } | { methods: string[] };

/** The services of the document by full name (without the leading dot), in the order @grpc/proto-loader lists them. */
function servicesOf(namespace: Namespace, found: Service[] = []): Service[] {
  for (const nested of namespace.nestedArray) {
    if (nested instanceof Service) found.push(nested);
    else if (nested instanceof Namespace && !(nested instanceof Type)) servicesOf(nested, found);
  }
  return found;
}

/**
 * The types `method` reads and writes, with every type and enum their fields refer to (map values
 * and oneof members are fields too), as protobufjs resolved them: relative to the referring type's
 * scope, then outward. An extension field of a kept type keeps its declaration, and the type it is
 * declared in.
 */
function typesOf(method: Method): Set<ReflectionObject> {
  const kept = new Set<ReflectionObject>();
  const pending: (Type | Enum | null)[] = [method.resolvedRequestType, method.resolvedResponseType];
  // Each type is expanded once: the walk ends within the document's types.
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (next === null || kept.has(next)) continue;
    kept.add(next);
    if (!(next instanceof Type)) continue;
    for (const field of next.fieldsArray) {
      field.resolve();
      pending.push(field.resolvedType);
      const declaring: Field | null = field.declaringField;
      if (declaring) {
        kept.add(declaring);
        if (declaring.parent instanceof Type) pending.push(declaring.parent);
      }
    }
  }
  return kept;
}

/** The JSON of `object`'s nested objects that are kept or hold a kept one; undefined when there are none. */
function nestedJSON(object: Namespace, kept: Set<ReflectionObject>, holders: Set<ReflectionObject>, method: Method): Record<string, unknown> | undefined {
  let json: Record<string, unknown> | undefined;
  for (const nested of object.nestedArray) {
    if (!kept.has(nested) && !holders.has(nested)) continue;
    (json ??= Object.create(null) as Record<string, unknown>)[nested.name] = objectJSON(nested, kept, holders, method);
  }
  return json;
}

/**
 * A field's JSON naming its message or enum type by full name: the trimmed document lacks objects
 * that may have shadowed a relative name in the whole one, so a name as written could resolve to
 * another type there.
 */
function fieldJSON(field: Field): unknown {
  const json = field.toJSON();
  return field.resolvedType ? { ...json, type: field.resolvedType.fullName } : json;
}

function objectJSON(object: ReflectionObject, kept: Set<ReflectionObject>, holders: Set<ReflectionObject>, method: Method): unknown {
  if (object instanceof Service) {
    // The service with the one method called, its types by full name.
    const { methods: _all, nested: _nested, ...rest } = object.toJSON();
    const called = { ...method.toJSON(), ...optional('requestType', method.resolvedRequestType?.fullName), ...optional('responseType', method.resolvedResponseType?.fullName) };
    return { ...rest, methods: { [method.name]: called }, ...optional('nested', nestedJSON(object, kept, holders, method)) };
  }
  if (object instanceof Type && kept.has(object)) {
    // The type itself (its fields, oneofs, options, reserved ranges) and only the nested objects kept.
    const { nested: _nested, fields: _fields, ...rest } = object.toJSON();
    // As Type#toJSON lists them: an extension's copy on the extended type stays with its declaration.
    const fields = Object.fromEntries(object.fieldsArray.filter((field) => !field.declaringField).map((field) => [field.name, fieldJSON(field)]));
    return { ...rest, fields, ...optional('nested', nestedJSON(object, kept, holders, method)) };
  }
  if (object instanceof Field) return fieldJSON(object);
  if (kept.has(object) || !(object instanceof Namespace)) return object.toJSON();
  // A namespace on the way to kept objects (a package, or a type holding a kept one): its options and those objects.
  return { ...optional('options', object.options), nested: nestedJSON(object, kept, holders, method) ?? {} };
}

function optional(key: string, value: unknown): Record<string, unknown> {
  return value === undefined ? {} : { [key]: value };
}

/**
 * The descriptor (as `Root.toJSON()`) of the document `root`, resolved, trimmed to what a call of
 * `service`/`method` needs: the namespaces holding the service, the service with that method
 * alone, and the types the method reads and writes with the types they refer to. Building it takes
 * time that grows with those types, not with the document: the whole document is compiled in the
 * parser's thread, and the event loop builds only this.
 */
export function trimmedToMethod(root: Root, service: string, method: string): MethodOfDocument {
  const services = servicesOf(root);
  const found = services.find((s) => s.fullName === `.${service}`);
  if (!found) return { services: services.map((s) => s.fullName.slice(1)) };
  const reflected = Object.hasOwn(found.methods, method) ? found.methods[method] : undefined;
  if (!reflected) return { methods: found.methodsArray.map((m) => m.name) };
  reflected.resolve();
  const kept = typesOf(reflected);
  // A message in an Any names its type at run time: any type of the document may be needed.
  for (const object of kept) if (object.fullName === '.google.protobuf.Any') return { json: root.toJSON() };
  kept.add(found);
  const holders = new Set<ReflectionObject>();
  for (const object of kept) for (let parent = object.parent; parent && !holders.has(parent); parent = parent.parent) holders.add(parent);
  return { json: { ...optional('options', root.options), nested: nestedJSON(root, kept, holders, reflected) ?? {} } };
}
