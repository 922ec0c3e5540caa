/**
 * The schema a frontend reads: every type, field, argument, enum value and input field of the
 * composed public API (schema/api-schema.graphql, what introspection and IDEs show) has a
 * description. Runs in `pnpm test`, so CI refuses an undocumented addition.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isScalarType,
  isUnionType,
  type GraphQLNamedType,
} from 'graphql';

/** Every schema coordinate (`Type`, `Type.field`, `Type.field(arg:)`, `Enum.VALUE`) without a description. */
export function undocumented(sdl: string): string[] {
  const schema = buildSchema(sdl);
  const missing: string[] = [];
  const check = (coordinate: string, description: string | null | undefined): void => {
    if (!description?.trim()) missing.push(coordinate);
  };
  for (const type of Object.values(schema.getTypeMap()) as GraphQLNamedType[]) {
    if (type.name.startsWith('__')) continue;
    // Root operation types are named by the spec; their fields carry the meaning.
    const isRoot = type === schema.getQueryType() || type === schema.getMutationType() || type === schema.getSubscriptionType();
    if (!isRoot && !(isScalarType(type) && ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name)))
      check(type.name, type.description);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        check(`${type.name}.${field.name}`, field.description);
        for (const arg of field.args) check(`${type.name}.${field.name}(${arg.name}:)`, arg.description);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) check(`${type.name}.${field.name}`, field.description);
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) check(`${type.name}.${value.name}`, value.description);
    } else if (isUnionType(type)) {
      // A union's members are documented as types.
    }
  }
  return missing;
}

describe('the composed API schema', () => {
  it('documents every type, field, argument, input field and enum value', () => {
    const sdl = readFileSync(join(__dirname, '..', 'api-schema.graphql'), 'utf8');
    expect(undocumented(sdl)).toEqual([]);
  });

  it('finds what is missing', () => {
    const sdl = '"A thing." type Query { "Documented." a(x: Int): Int b: Int } enum E { A "Fine." B }';
    expect(undocumented(sdl)).toEqual(['Query.a(x:)', 'Query.b', 'E', 'E.A']);
  });
});
